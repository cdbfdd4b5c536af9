package sim

import (
	"context"
	"runtime"
	"sync"
)

// pipeline runs produce(worker, i) for i in [0, n) on up to workers
// goroutines and hands the results to consume in order of i, on the calling
// goroutine. At most 2×workers results are in flight, so memory stays
// bounded. It stops at the first error or when ctx is done.
func pipeline[T any](ctx context.Context, n, workers int,
	produce func(worker, i int) (T, error), consume func(i int, v T) error) error {
	if workers < 1 {
		workers = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type slot struct {
		v    T
		err  error
		done chan struct{}
	}
	type job struct {
		i int
		s *slot
	}
	slots := make(chan *slot, 2*workers)
	jobs := make(chan job)
	go func() {
		defer close(jobs)
		defer close(slots)
		for i := range n {
			s := &slot{done: make(chan struct{})}
			select {
			case slots <- s:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{i, s}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() != nil {
					j.s.err = ctx.Err()
				} else {
					j.s.v, j.s.err = produce(w, j.i)
				}
				close(j.s.done)
			}
		}()
	}
	err := func() error {
		i := 0
		for s := range slots {
			select {
			case <-s.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			if s.err != nil {
				return s.err
			}
			if err := consume(i, s.v); err != nil {
				return err
			}
			i++
		}
		return ctx.Err()
	}()
	cancel() // the dispatcher closes jobs; workers drain it and exit
	wg.Wait()
	return err
}

// defaultWorkers is the number of goroutines used to generate blocks.
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }
