package asff

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Mark is what forcessl remembers of a resource's findings in Security Hub,
// per check: the status and fingerprint last imported, when the finding
// was created and when it was last imported. It lives in the state table
// as state.HubMark.Fingerprint, encoded by String.
type Mark map[string]Entry

// Entry is one finding of a Mark.
type Entry struct {
	Status            Status
	Print             string
	Created, Imported time.Time
}

// String encodes the mark: "check=status,print,createdMs,importedMs"
// joined by ";", in check order.
func (m Mark) String() string {
	var parts []string
	for _, check := range slices.Sorted(maps.Keys(m)) {
		e := m[check]
		parts = append(parts, check+"="+string(e.Status)+","+e.Print+","+
			strconv.FormatInt(e.Created.UnixMilli(), 10)+","+strconv.FormatInt(e.Imported.UnixMilli(), 10))
	}
	return strings.Join(parts, ";")
}

// ParseMark decodes a mark. An entry that does not parse is left out, so
// its finding is imported again: the safe side.
func ParseMark(s string) Mark {
	m := Mark{}
	for _, part := range strings.Split(s, ";") {
		check, rest, ok := strings.Cut(part, "=")
		f := strings.Split(rest, ",")
		if !ok || check == "" || len(f) != 4 {
			continue
		}
		created, err1 := strconv.ParseInt(f[2], 10, 64)
		imported, err2 := strconv.ParseInt(f[3], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		m[check] = Entry{Status: Status(f[0]), Print: f[1], Created: time.UnixMilli(created).UTC(), Imported: time.UnixMilli(imported).UTC()}
	}
	return m
}

// Oldest is the earliest last import of the mark's findings: the resource
// needs a refresh when that is too old. Zero for an empty mark.
func (m Mark) Oldest() time.Time {
	var t time.Time
	for _, e := range m {
		if t.IsZero() || e.Imported.Before(t) {
			t = e.Imported
		}
	}
	return t
}
