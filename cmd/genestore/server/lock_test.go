package server

import (
	"fmt"
	"net/http"
	"testing"

	"genestore/store"
)

// TestLockedIs503: a request that gave up waiting for another process's
// write is told to retry (503), not that the server failed (500).
func TestLockedIs503(t *testing.T) {
	if got := status(fmt.Errorf("gene index: %w", store.ErrLocked)); got != http.StatusServiceUnavailable {
		t.Fatalf("status of ErrLocked = %d, want 503", got)
	}
}
