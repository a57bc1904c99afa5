package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/forcessl/forcessl/pkg/rdsevent"
)

const replayUsage = `forcessl replay [--allow-scheduled] FILE

Processes the event in FILE exactly as the Lambda function would (an RDS
event, a CloudTrail API call, a scheduled action, a sweep item) and prints
the outcome, the planned and performed changes and the API calls as JSON.
FORCESSL_MODE decides whether it acts. This is how to re-drive an event
from the dead-letter queue. Exit 1 on a retryable error (Lambda would retry).

forcessl's own scheduled actions (detail-type "forcessl Scheduled Action")
are refused unless --allow-scheduled: a scheduled reboot replayed runs now,
whatever its window, with the CLI's credentials. Check first that forcessl
has not already rescheduled it (forcessl explain, forcessl history).`

func defineReplay(fs *flagSet) action {
	var allowScheduled bool
	fs.boolean(&allowScheduled, "allow-scheduled", "also replay forcessl's own scheduled actions (a reboot runs now)")
	return func(ctx context.Context, env Env, args []string) int {
		if len(args) != 1 {
			return fail(env, usagef("replay takes one event file"))
		}
		if !allowScheduled {
			payload, err := os.ReadFile(args[0])
			if err != nil {
				return fail(env, usageError{err.Error()})
			}
			if scheduledAction(payload) {
				return fail(env, usagef("%s is one of forcessl's scheduled actions: replaying it acts now, outside its "+
					"schedule; check `forcessl explain` first, then pass --allow-scheduled", args[0]))
			}
		}
		return Replay(ctx, env, args[0])
	}
}

// scheduledAction: the payload is forcessl's own scheduled action, as
// Scheduler delivers it (and as it lands in the dead-letter queue).
func scheduledAction(payload []byte) bool {
	var env struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
	}
	return json.Unmarshal(payload, &env) == nil && env.Source == rdsevent.SourceForcessl && env.DetailType == rdsevent.DetailScheduled
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
