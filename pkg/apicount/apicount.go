// Package apicount counts AWS API operations through an SDK middleware, so
// the cost of a remediation is measured, not guessed. One count per
// operation call, whatever the number of retry attempts.
package apicount

import (
	"context"
	"maps"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Counter tallies operations by "Service.Operation".
type Counter struct {
	mu     sync.Mutex
	counts map[string]int
}

// New returns an empty counter.
func New() *Counter { return &Counter{counts: map[string]int{}} }

// Middleware returns the SDK APIOptions entry that feeds c; append it to
// aws.Config.APIOptions.
func (c *Counter) Middleware() func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("forcesslAPICount",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.add(awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx))
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
}

func (c *Counter) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[op]++
}

// Snapshot returns a copy of the counts.
func (c *Counter) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// Total counts operations whose service is one of services (all when none).
func (c *Counter) Total(services ...string) int {
	n := 0
	for op, v := range c.Snapshot() {
		if len(services) == 0 || hasService(op, services) {
			n += v
		}
	}
	return n
}

// Reset clears the counts.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.counts)
}

func hasService(op string, services []string) bool {
	for _, s := range services {
		if len(op) > len(s) && op[:len(s)] == s && op[len(s)] == '.' {
			return true
		}
	}
	return false
}
