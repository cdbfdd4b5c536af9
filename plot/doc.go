// Package plot draws genestore's pictures as PNG or SVG files with
// gonum.org/v1/plot (pure Go): UMAP maps coloured by a category or a value
// (Map), histograms side by side (Histograms, for QC) and a gene's
// co-expression neighbourhood as a small network (Network).
//
// # Basics
//
// Each function takes plain data (coordinates, labels, values, edges) and
// writes one file; it knows nothing of stores. The format follows the file
// name's extension (.png or .svg). Files are written to a temporary name in
// the same folder and renamed into place, so a failed drawing leaves any
// earlier file intact.
//
// Defaults aim at legible pictures: a 20-colour categorical palette
// (Tableau 20) with categories beyond 19 lumped into "other" (grey), a
// legend beside the map, no axes on maps, point size scaled down as the
// number of points grows, and the title the caller gives (genestore's
// verbs put the model id there).
//
// # Caveats
//
//   - Every point is a vector circle: SVG files of 100,000 points are tens
//     of megabytes; prefer PNG for big maps.
//   - Text uses gonum/plot's embedded Liberation fonts.
package plot
