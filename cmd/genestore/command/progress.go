package command

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress is a bar on stderr when stderr is a terminal and --quiet is off;
// otherwise every method does nothing, so scripts and CI logs stay clean.
type progress struct {
	bar *progressbar.ProgressBar
}

func newProgress(w io.Writer, quiet bool, total int64, desc string) *progress {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)}
}

// Set moves the bar to done of total.
func (p *progress) Set(done int64) {
	if p.bar != nil {
		_ = p.bar.Set64(done)
	}
}

// Describe replaces the bar's label.
func (p *progress) Describe(s string) {
	if p.bar != nil {
		p.bar.Describe(s)
	}
}

// Done clears the bar.
func (p *progress) Done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// epochBar is a progress bar over training epochs, created on the first
// epoch (when the total is known).
type epochBar struct {
	w     io.Writer
	quiet bool
	label string
	bar   *progress
}

// update moves the bar to epoch of total and shows desc.
func (e *epochBar) update(epoch, total int, desc string) {
	if e.bar == nil {
		e.bar = newProgress(e.w, e.quiet, int64(total), e.label)
	}
	e.bar.Set(int64(epoch))
	e.bar.Describe(desc)
}

// done clears the bar, if one was shown.
func (e *epochBar) done() {
	if e.bar != nil {
		e.bar.Done()
	}
}
