// Package vae trains genestore's batch-aware cell model: a conditional
// variational autoencoder in the scVI / SAILER family whose latent space
// holds biology and whose decoder absorbs batch.
//
// # Model
//
// Encoder: x̃ = log1p(counts·10⁴/library) of the selected genes (log1p of
// normalised values, or the values themselves when already log) plus the
// batch one-hot → Hidden ReLU units → (μ, log σ²) of a Latent-dimensional
// Gaussian posterior. Decoder: z plus the batch one-hot → Hidden ReLU → one
// logit per gene; or, with Options.LinearDecoder (LDVAE), logits = W·z +
// b_batch, whose per-gene rows of W are gene vectors in the cell space
// (GeneLoadings). The prior is N(0, I); the loss is −ELBO = −log p(x|z) +
// KL(q(z|x) ‖ N(0, I)), with the KL weight warmed up linearly over
// KLWarmup epochs (epoch e of training weighs it min(1, e/KLWarmup), e from
// 1: scvi-tools starts at 0, one epoch earlier). Because the decoder receives the batch, the latent has no
// reason to encode it: Embed returns posterior means μ, comparable across
// batches.
//
// Likelihoods (the store records Model.Likelihood next to the weights):
//   - NB (counts): mean = library size × softmax(logits), per-gene inverse
//     dispersion θ = exp(p) learned; log NB as scVI's log_nb_positive.
//   - ZINB (counts, on request; non-linear decoder only): the NB mixed with a
//     point mass at zero whose logit, per gene and cell, is a second linear
//     head on the decoder's hidden layer; as scVI's log_zinb_positive. It
//     runs in scalar Go over every gene (0.4× the NB's cells/s on the
//     simulator, one thread) and lowered label ASW on the real data (see
//     DefaultOptions).
//   - Gaussian (normalised or log values such as TPM/FPKM): target = log1p of
//     the values (or the values for vocab.Log), per-gene variance learned.
//
// # Training
//
// Adam, mini-batches shuffled each epoch from a seeded generator; the last
// mini-batch of an epoch is simply shorter (no cell is dropped or repeated).
// A seeded 10% of the cells is held out; after the KL warm-up, training
// stops when the held-out −ELBO (at z = μ) has not improved for Patience
// epochs and the best weights are kept. Results are reproducible for a given
// seed and thread count. ctx is checked between mini-batches.
//
// # Why hand-written gradients instead of gorgonia
//
// The design card asks for gorgonia, and the package's tests contain a
// gorgonia op (Lgamma, with the digamma gradient, tested by finite
// differences and used as an independent oracle for the NB loss and
// gradients; ggop_oracle_test.go, so the binary does not link gorgonia).
// The training path itself is hand-written float32 forward/backward, each
// gradient checked against finite differences
// (TestGradientsFiniteDifference), because measurement says so:
//   - gorgonia needs a fixed batch shape and dense inputs: its tensors have
//     no sparse product (the CS type panics in MatMul). The encoder input is
//     a sparse count matrix; here the first layer and its weight gradient
//     walk only the non-zeros, gene by gene over a per-step CSC copy of the
//     mini-batch (W's row stays in L1, the hidden rows in L2).
//   - The NB log-likelihood needs lgamma(x+θ) − lgamma(θ) and its digamma
//     gradient only where x > 0 (both vanish at x = 0); for counts below 32
//     they come from per-gene tables built once per step by recurrence.
//     PyTorch spends 33% of its VAE step on lgamma/digamma over every entry.
//   - The dense part of the likelihood (softmax, log(θ+μ), gradients) runs 8
//     genes at a time in a Go-assembly AVX2 kernel with Cephes expf/logf;
//     the dense products run on a packed 6×16 AVX2/FMA micro-kernel, about
//     5–8× gonum's Sgemm per CPU-second on this machine (internal/f32,
//     BenchmarkGemm).
//   - gorgonia measured 151 ms per dense step (batch 256, 2000 genes) against
//     111 ms for hand-written gonum, and allocates ~34 MiB per step; this
//     implementation reuses every buffer, leaving a few dozen small
//     allocations per step (the matrix kernel's tiles and the goroutines of
//     its parallel loops; 33 with one thread, 93 with two, at 128 cells ×
//     200 genes). BenchmarkTrainStep is the
//     figure to set beside ../shared/bench/peer_train.py --models vae.
//
// Build tags: the assembly is amd64-only and used when the CPU reports AVX2
// and FMA (scalar Go otherwise, or with -tags purego); -tags netlib (cgo,
// CGO_LDFLAGS=-lopenblas) sends the dense products to OpenBLAS instead.
//
// # Batches and scArches surgery
//
// Model.AddBatches extends the batch vocabulary and trains only the rows of
// the encoder's and decoder's batch weights that belong to the new batches,
// everything else frozen, so cells of existing batches embed bit-identically
// before and after.
//
// # Caveats
//
//   - Input columns must be the model's genes in the model's order: the
//     package does not see gene names (the caller selects them).
//   - Threads: element-wise work, the sparse layers and the products use
//     MaxThreads goroutines (default GOMAXPROCS). Results depend on the
//     thread count only through float summation order; Embed's do not.
//   - The float32 assembly kernels compute the loss to about 1e-6 relative;
//     finite-difference tests therefore run on the float64 scalar path.
//   - Model methods read the weights without locks: AddBatches must not run
//     concurrently with Embed or MarshalBinary on the same Model.
//
// The binary encoding (MarshalBinary) is documented on the magic constant
// in codec.go.
package vae
