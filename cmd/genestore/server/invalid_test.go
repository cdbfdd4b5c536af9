package server

import (
	"fmt"
	"net/http"
	"testing"

	"genestore/store"
)

// TestStoreInvalidIs400: an argument the store refuses (a name too long, say)
// is the client's fault (400), not the server's (500).
func TestStoreInvalidIs400(t *testing.T) {
	err := fmt.Errorf("put clustering: %w", fmt.Errorf("%w: clustering name is 310 bytes (max 256)", store.ErrInvalid))
	if got := status(err); got != http.StatusBadRequest {
		t.Fatalf("status of store.ErrInvalid = %d, want 400", got)
	}
}
