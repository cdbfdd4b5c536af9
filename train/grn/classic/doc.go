// Package classic infers directed regulator → target scores without
// supervision, from the expression of one or several views (grn.View): the
// classical baselines of regulatory-network inference, to set beside the
// learned models of package grn.
//
// # Basics
//
// Infer(ctx, views, regulators, opts) scores every pair regulator → target
// with the regulator among the candidates (gene indices; nil means every
// gene) and target any other gene: a pair of two candidates is scored both
// ways, self-loops never. It returns the edges best first, the method used
// and how views were combined. Methods (Options.Method):
//
//   - Pearson, Spearman: |correlation| of the two genes (Spearman on
//     mid-ranks). Symmetric: both directions score the same.
//   - CLR: the context likelihood of relatedness (Faith et al. 2007, PLoS
//     Biol. 5:e8) over plug-in mutual information of equal-frequency bins
//     (⌈n^⅓⌉ bins, 4 to 256): √(z_reg² + z_target²) with each z-score
//     taken against that gene's other MI values (negative z as 0).
//   - PartialCorrelation (pcor), SpearmanPartial (spcor): |partial
//     correlation| given all other genes, from the inverse of the
//     correlation matrix (of values or of mid-ranks) shrunk towards the
//     identity with the Ledoit–Wolf (2004) intensity.
//   - GENIE3 (Huynh-Thu et al. 2010, PLoS ONE 5:e12776): for each target, a
//     random forest regressing the target (scaled to unit variance) on the
//     candidate regulators; a regulator's score is the squared-error
//     decrease of its splits, summed over the trees and divided by
//     trees × cells per tree, so a target's scores add up to the variance
//     its trees explain of their cells (at most those cells' variance,
//     about 1), as GENIE3's unit-variance normalisation makes them
//     comparable across targets. Splits are exact over 32 quantile
//     bins per regulator (histogram splits, as GRNBoost2/LightGBM); each
//     tree draws half the cells (at most 500) without replacement; each
//     node tries ⌈√p⌉ regulators; leaves hold ≥ 10 cells; 50 trees.
//   - RegulatorPartial (rspcor): |partial correlation of ranks| given the
//     other candidate regulators only, not every other gene: the
//     conditioning set of a regression of the target on the candidates
//     (as in GENIE3 or the Inferelator). Conditioning on all genes also
//     conditions on the target's co-targets, and a co-target of two
//     regulators (a collider) links them where nothing does. Computed by a
//     block inverse of the candidates' shrunk correlation matrix, O(cells ·
//     candidates · genes + genes · candidates²), the Ledoit–Wolf intensity
//     estimated over the candidates' rows. With every gene a candidate it
//     is SpearmanPartial.
//   - Ensemble (the default): per view, the mean normalised rank of GENIE3
//     and SpearmanPartial, and of RegulatorPartial as a third when the
//     candidates are fewer than the genes (with every gene a candidate it
//     would count SpearmanPartial twice).
//
// Several views are combined by rank aggregation, attention-free: in each
// view the pairs are ranked (mid-ranks for ties) and divided by the number
// of pairs, and the score is the median over views (Options.Aggregate;
// with an even number of views the mean of the middle two, so with two
// views the mean), or their mean under MeanRank (Result.Combination says
// "median normalised rank" or "mean normalised rank"; with one view the
// method's own scores are kept). See "Median or mean over views" below.
//
// Signs. With Options.Signs (on in DefaultOptions) each edge gets the sign
// of its summed partial correlation over the views where it ranks in the
// top half of that view's scores (over all views if it does in none), so a
// view that does not support an edge does not vote on its sign.
//
// Evidence (and PooledEvidence) returns these scores, per view and not
// combined, as grn.Evidence for the supervised DeepMCL head: per pair the
// normalised ranks of the two-way ensemble (GENIE3 + spcor), GENIE3, spcor,
// pcor, CLR and Spearman scores and of that ensemble within the target and
// within the regulator,
// each as −ln(1 − r + 1/n) / ln n so that the top of a ranking, where the
// edges are, is spread out; Evidence appends the pooled cells' features to
// each view's, PooledEvidence gives only those.
//
// Randomness: GENIE3 draws from math/rand/v2's PCG, target g of view v
// seeded with rand.NewPCG(Options.Seed, g + v·2³²); results are the same
// for any Options.Workers. Work is spread over targets (GENIE3) or
// regulators with internal/par.
//
// # Comparison (how the default was chosen)
//
// AUPRC ratio (AUPRC / edge density over all ordered gene pairs,
// query/eval.GRN, sklearn's average precision) of each method with
// DefaultOptions otherwise. Simulator: train/sim.DefaultGRNConfig (3 views
// × 2,000 cells, 200 genes, 20 TFs in a 3-level cascade, 10% of target
// edges rewired per view; log1p of counts per 10,000), truth = the base
// network, views combined by mean rank (MeanRank: the default until
// 2026-12-07; the median's figures, which the command below now prints,
// are under "Median or mean over views"); candidates = the 20 TFs, or all
// genes. GSD: BEELINE's GSD_2000_{0..4} (19 genes, 2,000 cells; expression
// used as given, BoolODE values, not re-normalised), median over the 5 runs,
// candidates = all genes (as BEELINE), or the reference's regulators; _20
// and _50 are the dropout variants. EPR (early precision ratio) in
// brackets. Produced by
//
//	go test ./train/grn/classic -run 'BEELINE|Simulated' -long -v
//
// (2 shared cores, ~90 s):
//
//	method    sim TFs       sim all       GSD all      GSD ref      GSD_20 all   GSD_50 all
//	pearson   48.8 (48.4)   16.1 (23.0)   1.27 (1.36)  1.39 (1.48)  1.26 (1.36)  1.24 (1.42)
//	spearman  48.4 (48.4)   16.8 (24.7)   1.66 (1.72)  1.71 (1.84)  1.66 (1.72)  1.59 (1.78)
//	clr       70.3 (63.3)   27.0 (39.0)   1.46 (1.72)  1.48 (1.78)  1.46 (1.66)  1.41 (1.72)
//	pcor      85.8 (78.5)   31.2 (42.7)   1.26 (1.36)  1.30 (1.34)  1.25 (1.36)  1.28 (1.24)
//	spcor     81.1 (76.1)   19.8 (28.6)   1.41 (1.42)  1.47 (1.52)  1.46 (1.48)  1.46 (1.42)
//	rspcor    86.2 (79.3)   19.8 (28.6)   1.41 (1.42)  1.48 (1.46)  1.46 (1.48)  1.46 (1.42)
//	genie3    75.7 (68.4)   39.2 (44.1)   1.30 (1.54)  1.39 (1.66)  1.33 (1.60)  1.30 (1.48)
//	ensemble  87.8 (78.5)   39.6 (48.6)   1.36 (1.54)  1.47 (1.60)  1.41 (1.48)  1.39 (1.60)
//
// No method is best on both: rank statistics (Spearman, CLR) lead on GSD,
// whose Boolean-ODE genes switch between a few levels along two branches,
// while on the simulator they trail the conditional methods (pcor, GENIE3),
// which tell a direct regulator from a co-regulated sibling. The ensemble is
// the best on the simulator with either candidate set, at least |Pearson|
// everywhere, and above BEELINE's published GENIE3 median on GSD (AUPRC
// ratio 1.28) on every variant, so it is the default; ask for Spearman when
// the data look like GSD. The simulator's ratios are large because with 20
// TF candidates only 20 × 199 of the 39,800 pairs are scored (the maximum
// ratio is 1/density ≈ 93). The signed AUPRC ratio (sign must match) of
// the ensemble is 86.7 (TFs) and 39.5 (all) on the simulator: the partial
// correlation signs are almost always right.
//
// RegulatorPartial joined the ensemble on 2026-12-06. Given a candidate
// list it is the best single method on the simulator (86.2 against pcor's
// 85.8 and spcor's 81.1; per view 79.9, 81.3, 82.5 against spcor's 65.7,
// 74.0, 68.8) and beside spcor on GSD (reference regulators: 1.48 against
// 1.47; _20 1.52 against 1.52; _50 1.53 against 1.52). The three-way
// ensemble against the two-way one, same runs: simulator 87.8 against 86.6
// (seeds 2 and 3 of the simulator, by AUPRC: 0.843 against 0.835, 0.872
// against 0.860), GSD reference regulators 1.47 / 1.51 / 1.43 (0, 20, 50%
// dropout) against 1.45 / 1.47 / 1.42, though its early precision there
// fell (EPR 1.60 / 1.60 / 1.66 against 1.60 / 1.66 / 1.72): the gain is in
// the ranking as a whole, not at its top. Replacing spcor by it instead (GENIE3
// + rspcor) was worse on the simulator (AUPRC 0.799 against 0.840, seed
// 1). With every gene a candidate (the "all" columns and the families
// below) nothing changed; the stored network's provenance names the
// members (params "ensemble_of").
//
// # Median or mean over views
//
// Until 2026-12-07 views were combined by their mean rank. The median is
// the default since: an edge that one view alone ranks high (regulation
// of that view only, its batch, its noise) does not reach the top, and a
// true edge one view misses is not sunk by it. Measured on the simulator
// (3 views, 10% of target edges rewired per view; truth the shared base
// network), AUPRC ratio, median against mean (the table above is the
// mean's), go test ./train/grn/classic -run Simulated -long -v:
//
//	method    sim TFs        sim all
//	pearson   54.5 / 48.8    17.8 / 16.1
//	spearman  54.1 / 48.4    18.8 / 16.8
//	clr       77.9 / 70.3    31.7 / 27.0
//	pcor      88.8 / 85.8    35.2 / 31.2
//	spcor     83.8 / 81.1    22.3 / 19.8
//	rspcor    94.1 / 86.2    22.3 / 19.8
//	genie3    84.4 / 75.7    42.5 / 39.2
//	ensemble  94.1 / 87.8    44.8 / 39.6
//
// Every method gains. On the simulator's held-out-regulator protocol
// (pipeline's TestGRNSupervisedHeldOut -long, 5 seeds) the ensemble's
// AUPRC rose from 0.788 to 0.888, and on BEELINE's GSD with its five runs
// as five replicate views (grn's TestBEELINE/GSD -long) from 1.51 to 1.55
// (AUPRC ratio, 5 splits): replicates gain too. The GSD and BEELINE tables
// score each run alone and are unaffected. Where a view's own edges are
// the point (regulation specific to one condition or time point), ask for
// MeanRank, or score that view alone.
//
// On BEELINE's other curated models, simulated with BoolODE as BEELINE did
// (testdata/beeline; 3 runs of 2,000 cells each, every run alone, all
// genes as candidates; GENESTORE_BEELINE=DIR go test ./train/grn/classic
// -run BEELINE -long -v), median AUPRC ratio (EPR):
//
//	method    HSC          VSC          mCAD
//	pearson   1.49 (1.46)  2.24 (1.63)  0.86 (0.88)
//	spearman  1.82 (1.79)  2.22 (1.63)  1.01 (0.99)
//	clr       1.89 (1.95)  2.52 (1.87)  0.94 (0.88)
//	pcor      1.78 (1.30)  2.47 (1.87)  0.89 (1.10)
//	spcor     1.82 (1.95)  2.15 (1.87)  0.90 (0.99)
//	genie3    1.98 (2.12)  2.63 (2.24)  0.86 (0.95)
//	ensemble  2.06 (1.95)  2.38 (1.99)  0.88 (0.95)
//
// The ensemble leads on HSC, is third on VSC (GENIE3 leads) and every
// method is near random on mCAD (5 genes, 14 edges, density 0.65); it is at
// or above |Pearson| on all four curated families, which is why the
// default stayed. These families were not used to choose it.
//
// Speed (BenchmarkInfer, one run each on 2 cores shared with other jobs at
// a load average of ~20, nice 5, so upper bounds): one view of 2,000 cells
// × 200 genes × 20 regulators takes 2.5 s for the ensemble (1,600 pairs/s;
// GENIE3 is nearly all of it; Pearson 0.27 s); 2,000 cells × 2,000 genes ×
// 1,000 regulators (BenchmarkInferLarge, -long) 342 s (5,850 pairs/s).
//
// # Caveats
//
//   - Correlation methods and CLR are symmetric: on a pair of two
//     candidates they cannot tell the direction, and GENIE3 only weakly.
//   - Partial correlation inverts a genes × genes matrix (O(genes³), about
//     a second at 2,000 genes) and needs every gene's expression, not only
//     the candidates'. Genes ≥ cells work only through the shrinkage.
//   - Scores of different methods are on different scales; only their order
//     within one result means anything, and the ensemble's are mean ranks in
//     (0, 1].
//   - GENIE3 is approximate: histogram splits (≤ 32 bins), subsampled cells
//     and 50 trees; raise Options.Trees and MaxTreeCells for the last
//     digit, at proportional cost.
//   - IMPORTANT: Infer holds len(regulators) × genes float64 scores per view
//     (16 MB at 1,000 × 2,000) and returns one Edge per pair; set MaxEdges
//     to keep only the best.
package classic
