// Package grn infers directed gene regulatory networks from expression
// measured in several views (datasets, time points, conditions).
//
// This file set holds the types every method shares: a View (cells × genes
// expression of one source), an Edge (regulator → target with a score and a
// sign) and a Known prior edge. The methods themselves live beside it.
package grn
