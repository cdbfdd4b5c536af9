// Package par runs the static fork-join loops of the training kernels: [0, n)
// cut into a few contiguous parts, one goroutine each, then wait. Callers
// make every part write its own outputs, so results do not depend on the
// number of parts.
package par

import "sync"

// For cuts [0, n) into min(parts, n) contiguous ranges, part p covering
// [p·n/parts, (p+1)·n/parts), runs fn on each in its own goroutine and
// waits for all. With one part or fewer fn runs once, inline, on [0, n).
func For(parts, n int, fn func(part, lo, hi int)) {
	parts = min(parts, n)
	if parts <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*n/parts, (p+1)*n/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(p, lo, hi)
		}()
	}
	wg.Wait()
}
