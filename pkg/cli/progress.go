package cli

import (
	"fmt"
	"time"

	"github.com/forcessl/forcessl/pkg/report"
)

// progress shows, on a terminal only, one line rewritten in place:
// account-regions done of total, instances seen, time elapsed. Piped
// output gets none, so logs and files stay clean. (A progress-bar library
// would add more than this line needs.)
type progress struct {
	env       Env
	started   time.Time
	instances int
	shown     bool
}

func newProgress(env Env, started time.Time) *progress { return &progress{env: env, started: started} }

func (p *progress) item(done, total int, it report.Item) {
	for _, n := range it.Counts {
		p.instances += n
	}
	if !p.env.Terminal {
		return
	}
	elapsed := p.env.now().Sub(p.started).Round(time.Second)
	fmt.Fprintf(p.env.Stderr, "\r\033[Kswept %d/%d account-regions, %d instances, %s", done, total, p.instances, elapsed)
	p.shown = true
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprintln(p.env.Stderr)
	}
}
