// Package expr predicts unmeasured genes from a small set of measured
// landmark genes, after D-GEX (Chen et al. 2016, "Gene expression inference
// with deep learning"): an MLP that maps ~1,000 L1000 landmarks to ~9,500
// target genes and reported 15.33% lower MAE than linear regression.
//
// It is a pure computation library: it takes dense matrices and returns
// weights and predictions. It does not read files or import the store.
//
// # Basics
//
// The input is one or more Datasets: samples (cells) × genes of
// log-normalised expression, float32 row-major, with gene symbols and
// optional per-sample group ids (donor, batch, time point). Options name
// the landmarks and targets (or let SelectLandmarks choose the landmarks:
// greedy coverage of the gene–gene correlation matrix, a pivoted Cholesky
// that each step takes the gene whose residual explains the most residual
// variance of all candidates).
//
// Fit trains four models in one run, because picking the model is part of
// the product:
//
//   - MLP: D-GEX's network, 1–3 tanh hidden layers (default one of 3,000
//     units), dropout 0.1, per-gene MSE on standardised targets, Adam
//     (train/optim) on mini-batches of 200, early stopping on the
//     validation split (patience 10 epochs; the best epoch's weights are
//     kept). Forward and backward are written by hand over the float32
//     GEMM of internal/f32; TestMLPGradient checks them against finite
//     differences.
//   - Ridge: one eigendecomposition of the standardised landmark Gram
//     matrix (X'X, or XX' when there are fewer samples than landmarks)
//     gives every penalty and every target at once; each target picks its
//     penalty from a grid of 10^k × (mean eigenvalue), k = −4 … 2 by ½, by
//     validation MAE.
//   - KNN: the mean of the k nearest training samples' targets, distances
//     in the first 50 principal components of the landmarks (from the same
//     decomposition); k from {1, 3, 5, 10, 20, 50, 100} by validation MAE
//     over all targets. At most 5,000 reference samples are kept.
//   - LeastSquares: plain linear regression, D-GEX's baseline, from the
//     same decomposition; minimum-norm when underdetermined (directions
//     with eigenvalue below 1e-10 × the largest are dropped).
//
// Validation holds out ValFraction (20%) of the samples: whole groups when
// the datasets carry groups (none that would take the share past 1.5× it;
// the smallest when all would), single samples otherwise. Every model is
// scored per gene on it (Validation). The chosen predictor is a convex
// blend of MLP, ridge and kNN with weights on a grid of quarters; the
// blend is either one for all genes or one per gene, and which of the two
// is decided by two-fold cross-validation on the validation rows (per
// gene overfits when there are few validation samples). Then ridge, least
// squares and kNN are refitted on all samples with the chosen penalties
// and k; the MLP keeps its early-stopped weights.
//
// # Centring (batch offsets)
//
// Each dataset is centred on its own means before fitting: every landmark
// and target value has its dataset's mean subtracted, then is divided by
// the gene's pooled standard deviation (computed after centring). The
// models learn deviations, so a batch that shifts every gene does not
// swamp them. At prediction the query's landmarks are centred on the
// query's own means; each target's predicted deviation is scaled back and
// the query's own mean of that target is added back when the query
// measures it, the pooled training mean (mean over all training samples)
// when it does not. PredictOptions.TrainingCentre uses the training means
// for both instead, for queries too small to have means of their own;
// queries of fewer than MinOwnMeanRows (10) rows always do.
//
// Note what this means for Evaluate: scoring a query that measures its
// targets uses the query's target means, so the figures measure how well
// each model predicts variation around those means, not the means.
//
// # Prediction
//
// Predict streams: it processes BlockRows (256) samples at a time and
// hands each block of predictions to a callback, so memory stays bounded
// (a few blocks × targets floats plus the model) for any number of cells.
// Landmarks missing from a query are filled from the present ones by
// ridge regression among landmarks (on the training landmark correlation
// matrix, penalty 0.1) and counted in PredictInfo; fewer than 10 present
// landmarks is ErrLandmarks with the count.
//
// Evaluate reports per gene the MAE and Pearson r of every model on
// held-out samples, their means, and the share of genes where each model
// beats plain least squares.
//
// Models encode to a versioned binary layout (FormatVersion, CRC-32C);
// UnmarshalBinary checks every size against the bytes present before it
// allocates.
//
// # Caveats
//
//   - The Chosen validation scores are optimistic: the blend was picked
//     on those rows. Use Evaluate on samples Fit never saw.
//   - The MLP is trained on the training part only (not refitted), while
//     ridge, least squares and kNN are refitted on all samples; the blend
//     weights were chosen against the training-part fits.
//   - kNN keeps up to 5,000 reference samples × all targets in the model;
//     with 10,000 targets that is 200 MB. Lower KNNMaxRef for big models.
//   - Least squares with about as many samples as landmarks is badly
//     conditioned and predicts poorly; that is the baseline, not a bug.
//   - SelectLandmarks costs O(samples · c² + n · c²) for c ≤ 3,000
//     candidates (the most variable genes).
//   - Randomness (split, initialisation, shuffling, dropout, kNN subset)
//     comes from math/rand/v2 PCG seeded with Options.Seed: equal seeds,
//     data and thread count give equal models (TestFitDeterministic).
//
// # Measured
//
// Simulated data (TestSimulatedBeatsLinear, `go test ./train/expr -run
// TestSimulatedBeatsLinear -v`, ~8 s): 6 latent programs drive 60
// landmarks (noisy tanh mixtures) and 200 targets (products, rectified
// sums, saturations of program pairs); two datasets of 1,500 cells train,
// a third (its own batch offsets) is held out; MLP 256 units.
//
//	model   test MAE  Pearson r  beats linear
//	chosen  0.2418    0.920      100.0%
//	mlp     0.2460    0.917      100.0%
//	ridge   0.5219    0.541       98.0%
//	knn     0.2830    0.903      100.0%
//	lstsq   0.5280    0.527        —
//
// The chosen blend's MAE is 0.46× linear regression's (done-when: ≤ 0.9×
// on ≥ 80% of targets).
//
// Real data (`go test ./train/expr -run TestReal -v -args -long`, ~2.5 min
// on 2 busy cores), log1p(CP10k) of counts (log1p of FPKM for
// hsmm_myoblast); landmarks are the L1000 genes measured in every
// training dataset, or 200 chosen by SelectLandmarks when fewer than 100
// are (pbmc3k_sct283 has 68); targets are the 2,000 most variable other
// genes; MLP 1,000 units; seed 1. MAE in log units on held-out samples;
// the last column is the share of genes where chosen / MLP / ridge / kNN
// beat least squares.
//
//	held out                      MLP     ridge   kNN     lstsq   chosen  beats linear (%)
//	hsmm_myoblast, 72 h           1.3121  1.3128  1.3178  1.4456  1.2954  94.0 / 82.8 / 94.8 / 79.1
//	pbmc3k_sct283, every 4th cell 0.8194  0.8106  0.8339  3.4576  0.7990  100 / 100 / 100 / 100
//	pbmc10x_3p_v2 (train v3, 5p)  0.4851  0.4761  0.4742  0.6197  0.4681  100 / 99.6 / 99.5 / 99.7
//	pbmc10x_3p_v3 (train v2, 5p)  0.4655  0.4607  0.4610  0.5949  0.4536  99.7 / 99.7 / 99.7 / 99.0
//	pbmc10x_5p (train v2, v3)     0.5136  0.5027  0.5001  0.6947  0.4953  99.9 / 99.9 / 100 / 99.9
//
// On these small sets (200–2,000 training cells) the MLP stops after 3–7
// epochs and alone loses to ridge; D-GEX's gain came from ~100,000
// training profiles. The blend beats ridge-CV on every set; the two-fold
// check chose one blend for all genes on hsmm_myoblast and per-gene
// blends on the others.
// hsmm_myoblast validation held out the 24 h time point; the held-out
// pbmc10x_3p_v2 run lacks 51 of the 904 landmarks and pbmc10x_5p 8 of 861
// (filled).
//
// Streaming (TestPredictStreamsBoundedMemory, -long): 100,000 cells × 100
// landmarks → 10,000 targets (4 GB of output if held at once) in 196
// blocks of 512 rows took 41 s on a busy core with the heap 137 MiB above
// the query and model.
//
// Training speed (BenchmarkTrainStep, 978 → 3,000 tanh → 4,000, batch
// 200, GOMAXPROCS=1) against PyTorch 1.13 (Debian python3-torch, one
// thread; `python3 shared/bench/peer_train.py --models dgex --threads 1
// --dgex-steps 5`; ours: `GOMAXPROCS=1 go test ./train/expr -run '^$'
// -bench TrainStep -benchtime 10x`), interleaved peer, ours, …, in
// samples per CPU-second
// (the machine was shared: other processes kept 85–95% of it busy):
//
//	run  PyTorch  genestore  ratio
//	1    256.7    622.6      2.43
//	2    208.6    589.8      2.83
//	3    205.8    576.6      2.80
//	4    248.4    584.1      2.35
//	5    227.7    548.2      2.41
//	6    242.2    568.6      2.35
//
// Median ratio 2.42× PyTorch (2.80× over runs 1–3, 2.35× over runs 4–6,
// a second set 15 minutes later). A first, 50-step peer run measured 41.2
// samples/CPU-s (ours 682.3 just before). The step is ~17 GFLOP, so ours
// runs the GEMMs at ~50 GFLOP/s on one core.
package expr
