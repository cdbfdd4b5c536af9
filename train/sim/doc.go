// Package sim simulates single-cell RNA-seq count data with a known truth:
// gene modules, cell types and batch effects. It is the ground truth for the
// gene- and cell-embedding tests and the load generator for benchmarks (up
// to millions of cells, streamed to disk without a dense matrix).
//
// # Basics
//
// Generate(ctx, cfg) returns a Simulation in memory: one Dataset per batch
// (cells × genes counts as a sparse.CSR, gene names, barcodes, cell types,
// batches) and the Truth that produced them. WriteDir(ctx, cfg, dir, progress)
// writes the same data as 10x Matrix Market folders plus truth files (layout
// below) while holding only a few blocks of cells in memory. The same Config
// (Seed included) always gives the same data and the same bytes, whatever the
// number of CPUs.
//
// # Model
//
// Genes. The universe has Config.Genes genes named G0001, G0002, … A fraction
// ModuleGenes of them is spread evenly over Modules co-expressed programs
// (modules); the others are background genes in no module. Each gene has a
// log-normal baseline rate (log SD 1.0), a program loading in [0.6, 1.4] and
// a negative-binomial dispersion φ = Dispersion × a log-normal factor (log SD
// 0.5).
//
// Datasets. A fraction GeneOverlap of the genes is measured by every
// dataset; every other gene is measured by one dataset drawn at random, so
// datasets differ in gene count. Programs are shared across datasets, but in
// each dataset a fraction Rewire of its module genes (rounded) is
// reassigned, in that dataset only, each by a fair coin to another module
// or to the background (always the background with one module):
// dataset-specific co-expression. Truth.DatasetModule holds the
// rewired assignment.
//
// Cell types. Each of CellTypes types strongly activates 2–3 modules (the
// least used first, so every module is driven when 2 × CellTypes ≥ Modules;
// up to 3 × CellTypes ≥ Modules only if enough types draw 3) with log
// activity ProgramStrength × U(0.8, 1.2), on top of a weak shared
// baseline of 0.25 (plus per-type jitter, SD 0.2) for every module. Each
// dataset draws its type proportions (log-normal weights, SD 0.3); datasets
// after the first lack DropDatasetTypes types.
//
// Cells. A cell of type t in dataset d has module activities
// a_m = act[t][m] + ProgramNoise × N(0, 1) (the per-cell noise that makes
// module genes co-vary within a type) and a library size
// L = exp(log LibSizeMean + s_d + LibSizeSD × N(0, 1)), where the dataset's
// shift s_d ~ N(0, (LibSizeSD/2)²). Gene g's rate is
//
//	r_g = base_g × exp(load_g × a_module(g)) × batch_dg
//
// (no program term for background genes) and its expected count is
// μ_g = L × r_g / Σ r. The batch factor batch_dg is log-normal with log SD
// BatchEffect, and 1% of each dataset's genes are batch-specific genes whose
// log rate is raised by 4 × BatchEffect (Truth.BatchGenes). Counts are
// negative binomial with mean μ_g and dispersion φ_g: below a mean of 10 by
// inversion of the NB pmf, above it as a gamma–Poisson mixture
// (Marsaglia–Tsang gamma, Hörmann's PTRS Poisson); Dispersion 0 gives
// Poisson counts. Each dataset is one batch: the obs column batch is the
// dataset name.
//
// Spatial sections and a second species. The last Spatial datasets are
// spatial: cell i is a spot at grid position (i mod W, ⌊i/W⌋), W = ⌈√Cells⌉.
// Each cell type present in the dataset owns a tissue domain with a centre
// drawn uniformly on the grid; a spot's module activities are the mixture
// of the types' activities weighted by Gaussian membership
// exp(−d²/2σ²) (σ = 0.35 × grid side / √domains, normalised), plus per
// module a smooth field (two plane waves of 0–2 cycles per side, SD
// ProgramNoise), plus ProgramNoise × N(0, 1) per spot; its cell_type is the
// domain of largest weight, and obs.csv adds columns x and y. The
// OtherSpecies datasets before the spatial ones come from a second species
// (labelled mouse): universe gene G0001 is named Sg0001 there, and
// truth/orthologs.tsv (header human<TAB>mouse) pairs the names one-to-one
// for every gene except a fraction OrthologLoss, which have no ortholog
// (one-to-none) and stay that species' own genes once ingested. Their truth
// files use the dataset's own names.
//
// # Files written by WriteDir
//
//	DIR/<dataset>/matrix.mtx.gz    genes × cells, 1-based, "%%MatrixMarket matrix coordinate integer general",
//	                               entries sorted by cell then gene (10x v3 orientation)
//	DIR/<dataset>/features.tsv.gz  id, symbol, "Gene Expression" (id = symbol = G0001…)
//	DIR/<dataset>/barcodes.tsv.gz  D1_C000001, …
//	DIR/<dataset>/obs.csv          header barcode,cell_type,batch (spatial datasets: ,x,y)
//	DIR/truth/gene_modules.tsv     header gene<TAB>module; module 1-based, empty for background
//	DIR/truth/<dataset>_gene_modules.tsv  the same for that dataset's genes after rewiring
//	DIR/truth/gene_sets.gmt        one line per module: MODULE_07<TAB>simulated module 7<TAB>genes…
//	DIR/truth/cell_types.tsv       header cell_type<TAB>modules<TAB>datasets (1-based modules, comma-separated)
//	DIR/truth/batch_genes.tsv      header dataset<TAB>gene
//	DIR/truth/orthologs.tsv        header human<TAB>mouse: the one-to-one pairs (only with OtherSpecies > 0)
//	DIR/truth/config.json          the Config
//
// Module numbers are 0-based in Go (Truth.Module) and 1-based in files:
// Go module m is written as m+1 and named ModuleName(m, Modules).
//
// # Regulatory networks
//
// GenerateGRN(ctx, GRNConfig) and WriteGRNDir(ctx, GRNConfig, dir) simulate
// a planted directed regulatory network instead of modules. Genes G0001 …
// up to GRNConfig.Regulators are transcription factors (TFs) in Levels
// cascade levels: level-0 TFs follow pseudotime, each TF of level l ≥ 1 is
// regulated by 1–2 TFs of level l−1, and every other gene by 1..MaxInDegree
// TFs of any level; each edge has a sign (Activation share +) and a weight
// U(1, 2). In each view (D1, D2, …) each TF → non-TF edge is moved, with
// probability Rewire independently (so about that share of them), to
// another TF not already regulating the target, with the same sign and
// weight.
//
// A cell has a pseudotime t ~ U(0, 1) and time point ⌊t·TimePoints⌋. Gene
// activities x ∈ (0, 1) are computed in cascade order: a level-0 TF is
// σ(6·exp(−(t−φ)²/(2·0.3²)) − 3 + 2ε) with its own peak φ; any other gene
// is σ(3·(Σ_edges sign·w·h(x_reg) − Σ sign·w·h(½)) + 2ε), h the Hill
// function x²/(½² + x²), ε ~ N(0, Noise²) per cell and gene (the intrinsic
// noise that carries the regulation from cell to cell). Gene g's rate is
// base_g·(0.05 + x_g), base_g log-normal (log SD 1); the library size is
// LibSize × a log-normal factor (log SD 0.3, plus a per-view shift of SD
// 0.2); counts are negative binomial (Dispersion) and a nonzero count of
// mean μ is zeroed with probability Dropout·e^(−μ/10).
//
// Files written by WriteGRNDir (each a single gzip stream where gzipped):
//
//	DIR/<view>/matrix.mtx.gz, features.tsv.gz, barcodes.tsv.gz  as WriteDir (entries by cell, then gene)
//	DIR/<view>/obs.csv             header barcode,pseudotime,time_point,batch
//	DIR/truth/regulation.tsv       header regulator<TAB>target<TAB>sign ("+" or "-"): the base network
//	DIR/truth/<view>_regulation.tsv  the same for the network that drove that view
//	DIR/truth/<view>_rewired.tsv   header regulator<TAB>target<TAB>sign<TAB>change (removed or added)
//	DIR/truth/regulators.tsv       header gene<TAB>level
//	DIR/truth/grn_config.json      the GRNConfig
//
// GenerateGRN holds every view in memory (a CSR of counts per view).
//
// # Caveats
//
// IMPORTANT: matrix.mtx.gz is a multi-member gzip file (RFC 1952 allows
// several members; gzip, zcat, Go's compress/gzip and klauspost's gzip,
// Python's gzip and R's gzfile read it as one stream). The first member is
// stored, not compressed, and holds the header and size line, padded with a
// comment so that it can be rewritten in place once the number of entries is
// known; then each block of 1024 cells is its own compressed member, which
// lets blocks be generated and compressed in parallel and keeps the bytes
// independent of the number of goroutines. A reader that stops after the
// first gzip member sees an empty matrix.
//
// The output depends on the block size (1024 cells) and on the order in
// which random numbers are drawn: changing either changes the data, so they
// are fixed. Counts are float32 in memory: exact up to 2^24 per entry.
//
// Generate holds everything in memory (about 8 bytes per nonzero); use
// WriteDir for large simulations: it holds O(genes × datasets) structure and
// a few blocks of cells.
package sim
