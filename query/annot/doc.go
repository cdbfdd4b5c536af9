// Package annot reads gene-set collections and turns neighbours into
// annotations: GMT and GAF parsers, over-representation (enrichment) tests,
// term prediction from a gene's neighbours, and label transfer from
// reference cells to query cells.
//
// # Basics
//
// ParseGMT reads "ID<TAB>description<TAB>genes..." lines (MSigDB/Enrichr
// format); ParseGAF reads GO Annotation Files (2.x), one set per GO term,
// excluding NOT annotations and optionally keeping only some aspects. Both
// return []GeneSet and report malformed lines with the file name and line
// number (errors wrap ErrParse).
//
// Enrich (or NewCollection + Collection.Enrich for repeated queries) tests
// each set for over-representation of a query gene list against a universe
// with the one-sided hypergeometric test and Benjamini–Hochberg FDR:
//
//	p = P(X ≥ k),  X ~ Hypergeometric(N = |universe|, K = |set ∩ universe|, n = |query ∩ universe|)
//
// computed exactly: the first term from log-binomials (math.Lgamma), the
// rest by the ratio of consecutive terms, in log space, so p-values far
// below float64's range still rank (Result.LogPValue).
//
// PredictTerms scores the terms of a gene's neighbours by a
// similarity-weighted vote, normalised by the neighbours' total similarity
// (score in [0, 1], with the neighbours as evidence). TransferLabels gives
// each query cell the similarity-weighted majority label of its reference
// neighbours, with the winner's vote share as confidence, and "Unassigned"
// below a threshold (0.5 by default).
//
// # Caveats
//
//   - The universe matters: for genes found through an embedding, pass the
//     embedded genes as the universe, not the whole collection, or every
//     set looks depleted of unembedded genes.
//   - GAF files hold direct annotations; this package does not propagate
//     them up the GO graph (that needs the ontology). The bundled GMT is
//     already propagated.
//   - Sets are compared by exact symbol; resolve aliases before calling.
//   - BH is computed over every set within the size bounds, including those
//     that share no gene with the query (p = 1); only sets with an overlap
//     are returned.
package annot
