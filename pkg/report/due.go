package report

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// dueFirst is how many of the reboots due the digest names.
const dueFirst = 3

// dueLine is the digest's "reboots due in the next 7 days" line: how many
// of the swept resources forcessl will restart within a week of asOf, and
// the first few, soonest first ("" when none). `forcessl upcoming` lists
// them all, paused or over budget included.
func dueLine(items []Item, asOf time.Time) string {
	type due struct {
		at   time.Time
		name string
	}
	var ds []due
	for _, it := range items {
		for _, f := range it.Findings {
			if f.RebootAt == nil || f.RebootAt.Before(asOf) || f.RebootAt.After(asOf.Add(7*24*time.Hour)) {
				continue
			}
			ds = append(ds, due{*f.RebootAt, field(f.Instance, maxName) + " (" + field(f.Account, maxName) + " " + field(f.Region, maxName) + ")"})
		}
	}
	if len(ds) == 0 {
		return ""
	}
	slices.SortStableFunc(ds, func(a, b due) int { return a.at.Compare(b.at) })
	var first []string
	for _, d := range ds[:min(len(ds), dueFirst)] {
		first = append(first, d.name+" "+d.at.UTC().Format("Mon 2006-01-02 15:04 UTC"))
	}
	more := ""
	if len(ds) > dueFirst {
		more = fmt.Sprintf(", and %d more (forcessl upcoming lists them)", len(ds)-dueFirst)
	}
	return fmt.Sprintf("Reboots due in the next 7 days: %d: %s%s.\n", len(ds), strings.Join(first, ", "), more)
}
