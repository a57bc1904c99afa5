package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
)

const replayUsage = `forcessl replay FILE

Processes the event in FILE exactly as the Lambda function would (an RDS
event, a CloudTrail API call, a scheduled action, a sweep item) and prints
the outcome, the planned and performed changes and the API calls as JSON.
FORCESSL_MODE decides whether it acts. This is how to re-drive an event
from the dead-letter queue. Exit 1 on a retryable error (Lambda would retry).`

func replay(ctx context.Context, args []string, env Env) int {
	fs := flags("replay", replayUsage, env)
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		return fail(env, usagef("replay takes one event file"))
	}
	return Replay(ctx, env, fs.Arg(0))
}

// Replay processes one event file as Lambda would and prints the outcome
// with the API calls it cost.
func Replay(ctx context.Context, env Env, file string) int {
	payload, err := os.ReadFile(file)
	if err != nil {
		return fail(env, usageError{err.Error()})
	}
	e, err := loadEngine(ctx, env, nil, false, "")
	if err != nil {
		return fail(env, err)
	}
	res, herr := e.d.Invoke(ctx, payload, "")
	out, err := json.MarshalIndent(struct {
		Result        any            `json:"result"`
		APICalls      map[string]int `json:"apiCalls"`
		APICallsTotal int            `json:"apiCallsTotal"`
	}{res, e.calls.Snapshot(), e.calls.Total()}, "", "  ")
	if err != nil {
		return fail(env, err)
	}
	fmt.Fprintln(env.Stdout, string(out))
	if herr != nil {
		return fail(env, fmt.Errorf("retryable error (Lambda would retry this event): %w", herr))
	}
	return ExitOK
}
