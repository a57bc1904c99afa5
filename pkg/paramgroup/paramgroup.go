// Package paramgroup names the compliant DB parameter groups forcessl creates
// and the tags that mark them as ours. Pure.
package paramgroup

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Prefix starts every group forcessl creates, so IAM can scope writes to
// arn:aws:rds:*:*:pg:forcessl-* and ops can find them.
const Prefix = "forcessl-"

// Tags written on every group forcessl creates.
const (
	TagManagedBy   = "forcessl:managed-by"
	ManagedByValue = "forcessl"
	TagSourceGroup = "forcessl:source-group"
)

// maxLen is RDS's limit on parameter group names.
const maxLen = 255

// IsDefault reports whether a group is an RDS default group, which cannot be
// modified or copied (RDS User Guide; CopyDBParameterGroup API reference).
func IsDefault(name string) bool { return strings.HasPrefix(name, "default.") }

// FamilyOfDefault derives the family from a default group's name
// ("default.<family>", e.g. default.sqlserver-se-15.0), saving a
// DescribeDBParameterGroups call on the hot path.
func FamilyOfDefault(name string) (string, bool) {
	f, ok := strings.CutPrefix(name, "default.")
	return f, ok && f != ""
}

// IsOurs reports whether a name is in forcessl's namespace.
func IsOurs(name string) bool { return strings.HasPrefix(name, Prefix) }

// CompliantName derives the name of the compliant group for a source group.
// It is deterministic (every run and every instance sharing a source group
// converges on one group) and always a valid RDS name: letters, digits and
// single hyphens, starting with a letter, not ending with a hyphen, at most
// 255 characters, no dots. A group already in our namespace maps to itself.
func CompliantName(source string) string {
	if IsOurs(source) && Valid(source) {
		return source
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(source) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	body := strings.TrimRight(b.String(), "-")
	if body == "" {
		body = "group"
	}
	name := Prefix + body
	// Sanitising can map distinct sources to one body ("a.b", "a_b"), and
	// truncation certainly can; a hash of the exact source keeps them apart
	// whenever the name had to change shape.
	if name != Prefix+strings.ToLower(source) || len(name) > maxLen {
		sum := sha256.Sum256([]byte(source))
		name = withSuffix(name, "-"+hex.EncodeToString(sum[:])[:8])
	}
	return name
}

// withSuffix appends suffix to a valid name, first cutting the name so the
// whole fits RDS's limit, without leaving a hyphen before the suffix.
func withSuffix(name, suffix string) string {
	return strings.TrimRight(name[:min(len(name), maxLen-len(suffix))], "-") + suffix
}

// Valid reports whether name satisfies RDS's parameter group naming rules.
func Valid(name string) bool {
	if name == "" || len(name) > maxLen || strings.HasSuffix(name, "-") || strings.Contains(name, "--") {
		return false
	}
	if c := name[0]; c < 'a' || c > 'z' {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// OwnName is the compliant group forcessl gives one resource alone, when
// the group it would share serves a resource forcessl must not change: the
// compliant name of its source group and the resource's immutable ID,
// still a valid RDS name.
func OwnName(source, resourceID string) string {
	suffix := "-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(resourceID))
	suffix = strings.TrimRight(strings.ReplaceAll(suffix, "--", "-"), "-")
	return withSuffix(CompliantName(source), suffix)
}
