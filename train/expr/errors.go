package expr

import "errors"

// Sentinel errors of the package; returned errors wrap them.
var (
	// ErrOptions reports invalid Options.
	ErrOptions = errors.New("expr: invalid options")
	// ErrInput reports datasets that cannot be trained on or predicted from.
	ErrInput = errors.New("expr: invalid input")
	// ErrLandmarks reports a query with too few of the model's landmarks.
	ErrLandmarks = errors.New("expr: too few landmarks")
	// ErrNumeric reports a loss or parameter that became NaN or infinite.
	ErrNumeric = errors.New("expr: numeric failure")
	// ErrFormat reports bytes that are not a model this package wrote.
	ErrFormat = errors.New("expr: bad model encoding")
)
