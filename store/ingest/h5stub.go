package ingest

import (
	"context"
	"hash"
)

func readH5AD(ctx context.Context, path string, opts Options, h hash.Hash) (*Dataset, error) {
	return nil, nil
}
func readTenxH5(ctx context.Context, path string, opts Options, h hash.Hash) (*Dataset, error) {
	return nil, nil
}
