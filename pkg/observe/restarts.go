package observe

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/rdsevent"
)

// Restarts reads, for each DB instance in ids, the latest restart RDS's
// event log shows since since (zero when it shows none): DescribeEvents
// with SourceType db-instance, the instance's identifier and StartTime
// since, every page. It is the check before forcessl reboots a target for
// its open intent (plan.Need.Restarts), one call per target about to be
// rebooted, never on the ordinary event path.
//
// RDS "returns events ... for the past 14 days" (DescribeEvents, API
// reference): a restart older than that is not seen, and the target is
// rebooted as it was before this check existed. An error fails the
// reconcile before any reboot (Lambda retries it, then the DLQ): a log
// that could not be read is never taken for one without a restart.
func (ob *Observer) Restarts(ctx context.Context, ids []string, since time.Time) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(ids))
	for _, id := range ids {
		in := &rds.DescribeEventsInput{
			SourceType:       types.SourceTypeDbInstance,
			SourceIdentifier: aws.String(id),
			StartTime:        aws.Time(since),
			EventCategories:  rdsevent.RestartCategories,
		}
		var last time.Time
		for p := rds.NewDescribeEventsPaginator(ob.RDS, in); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, awserr.Classify(fmt.Errorf("read the restarts of %s since %s (rds:DescribeEvents): %w",
					id, since.UTC().Format(time.RFC3339), err))
			}
			for _, e := range page.Events {
				if at := aws.ToTime(e.Date); restart(e) && !at.Before(since) && at.After(last) {
					last = at
				}
			}
		}
		out[id] = last
	}
	return out, nil
}

// restart: the event says the instance restarted (rdsevent.RestartMessages).
func restart(e types.Event) bool {
	msg := aws.ToString(e.Message)
	for _, m := range rdsevent.RestartMessages {
		if strings.HasPrefix(msg, m) {
			return true
		}
	}
	return false
}
