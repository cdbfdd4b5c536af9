// Package grn infers directed gene regulatory networks from expression
// measured in several views (datasets, time points, conditions).
//
// The shared types are a View (cells × genes expression of one source), an
// Edge (regulator → target with a score and a sign) and a Known prior edge.
// Beside them this package holds DeepMCL (Lin et al., Briefings in
// Bioinformatics 2023): a supervised, multi-view convolutional model of gene
// pairs. Unsupervised baselines live in grn/classic.
//
// # Basics
//
// DeepMCL turns each directed gene pair (a, b) into pictures and learns, from
// known edges, which pictures look like regulation.
//
// Images. In each view, every gene is binned over the cells into Bins
// (default 32) bins by its rank among the view's cells: cell c of a gene
// with mean rank r (ties, zeros included, share their mean rank) falls in
// bin ⌊(r+½)/cells · Bins⌋, so each gene's marginal is close to uniform and
// the image shows the pair's copula. Zeros are kept: a gene with many
// zeros puts them all in one low bin (the mean rank of the tied block), so
// dropouts show as one dense row or column rather than being dropped.
// Options.RangeBins selects CNNC's equal-width bins over
// [min(0, min x), max x] instead (a gene constant in a view then falls
// entirely into bin 0); they squeeze skewed expression into a few
// pixels. On the tests' simulated networks (no neighbour images) rank bins
// gave held-out AUPRC 0.43 and 0.41 on two seeds against 0.33 and 0.36
// with range bins; both fit the training edges (in-sample 0.997 and
// 0.978). The image of (a, b) is the 2-D histogram of (bin of a, bin
// of b) over the view's cells, rows = a (the regulator), columns = b (the
// target), each pixel log(1+count) divided by log(1+largest count), so
// images lie in [0, 1] and the image of (b, a) is the transpose of that of
// (a, b): direction is learned, not assumed.
//
// Neighbour images. Beside (a, b) each view contributes Neighbours
// (default 2) more images: alternately a with its closest partners
// ((a, p₁), (a, p₂), …) and b's closest partners with b ((q₁, b), …),
// closeness being |Pearson r| in that view, the pair's other gene skipped.
// They give the network the local co-expression context DeepMCL uses to
// tell direct from indirect association. A learned role vector per image
// slot (pair image, first neighbour, …) is added to each image embedding,
// since attention alone cannot tell which image is the pair's.
//
// Network. One Siamese CNN embeds every image: conv3×3 Conv1, ReLU,
// conv3×3 Conv1, ReLU, maxpool 2, conv3×3 Conv2, ReLU, conv3×3 Conv2, ReLU,
// maxpool 2, dense Hidden, ReLU, dense Embed (defaults 32, 64, 512, 128:
// the shape of the peer benchmark shared/bench/peer_train.py --models
// cnn). Attention with a learned query (softmax of the dot products) pools
// a view's images into a view embedding, and a second query pools the
// views; a two-layer head (Head units, ReLU) gives the logit of "a
// regulates b". The loss is the binary cross-entropy of the labels plus
// Contrast (default 0.1) times the NT-Xent loss (temperature 0.1) over the view
// embeddings of the batch: a pair's views are each other's positives,
// every other pair's views negatives, which pulls a pair's views together
// and is DeepMCL's contrastive term.
//
// The forward and backward passes are written by hand: convolutions are
// im2col plus the float32 matrix product of internal/f32 over groups of
// four images (channels-last), ReLU and max pooling are fused, and the
// images of a batch are spread over MaxThreads goroutines. Every layer and
// the whole model are checked against finite differences in the tests.
// Parameters are optim.Params updated by the shared Adam.
//
// Training. Train takes known edges as positives and samples negatives
// (NegRatio per positive, fresh every epoch; an epoch repeats the
// positives until it holds EpochPairs pairs) among the candidate pairs
// (r, t): r one of Options.Regulators (nil: every gene), t ≠ r, (r, t)
// not known. A pair whose reverse is known is a negative, which is how
// direction is taught. HoldOut (default 20%) of the known edges, with five
// fixed non-edges each, are held out; the weights of the epoch with the
// best held-out average precision are kept, and training stops after
// Patience epochs without improvement. Seed (a uint64 for math/rand/v2's
// PCG) fixes the initial weights, split, samples and order.
//
// Scoring. (*Model).Score streams every (regulator, target) score, batch
// by batch (64 pairs at a time), regulator by regulator, so scoring 1,000
// regulators × 2,000 targets holds only one batch of images and
// activations (about 0.15 GB with the default shape and 3 views, less
// for smaller models) besides the binned views. ScoreAttention also passes
// each edge's view attention weights. An edge's Sign is that of the
// attention-weighted Pearson correlation of the pair: the network itself
// scores regulation, not its sign.
//
// Baseline. Options.SingleView pools the cells of all views into one view,
// averages the images instead of attending to them and switches the
// contrastive loss off: the same network without multi-view learning,
// against which the value of the views and attention is measured.
//
// # Caveats
//
// The model is supervised: it needs known edges, and it generalises to new
// regulators only as far as their pictures resemble the training
// regulators'. With a few dozen known edges, as in the tests and in the
// BEELINE curated networks, its held-out precision is noisy and |Pearson|
// is hard to beat. Measured on the tests' simulated networks (60 genes,
// 12 TFs, 3 rewired views, training on half the TFs' edges, scoring the
// other half's): mean AUPRC over 5 seeds 0.36 for the model without
// neighbour images, 0.32 for the single-view baseline, 0.39 for |Pearson|
// (edge density 0.13). Neighbour images made it worse there (0.19 on seed
// 1 against 0.34 without): each gene's neighbour images are the same for
// all its pairs, which lets a small training set be memorised by gene
// rather than by the pair's picture, and with a contrastive weight of 0.5
// they made the views of a pair trivially alike and blocked the BCE fit
// (in-sample AUPRC 0.46 after 8 epochs, 0.93 with the contrast off).
// Too few Adam steps was the other early failure, hence EpochPairs.
// See TestSimulatedQuality and TestGSD for the figures.
//
// Images are recomputed from the views at every call (the views' bins and
// the gene partners take O(genes² · cells) for the correlations), and the
// views given to Score must be the views of training or views of the same
// genes from the same number of sources: the model stores weights and
// shapes, not data.
//
// Memory per training step grows with BatchSize × views × (1+Neighbours):
// about 0.3 MB of activations and gradients per 32×32 image with the
// default widths (64 pairs × 9 images ≈ 0.16 GB).
//
// Results are reproducible for a fixed seed, input and thread count; the
// per-goroutine gradient sums and the matrix kernel make them agree only to
// float32 rounding across thread counts.
//
// The model format is documented at CodecVersion.
package grn
