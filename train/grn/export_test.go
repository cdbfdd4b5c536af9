package grn

// Test helpers of package grn for the external tests (package grn_test),
// which may import grn/classic.

var (
	Long         = long
	LoadFamily   = loadFamily
	GSDSplit     = gsdSplit
	ScoreAUPRC   = scoreAUPRC
	EvalAUPRC    = evalAUPRC
	PearsonScore = pearsonScore
	SimOptions   = simOptions
	PairKey      = pairKey
)
