package tripwire

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// cloudTrailName is an API member as CloudTrail records it: the first
// letter lower-cased (DBInstanceIdentifier: dBInstanceIdentifier).
func cloudTrailName(member string) string {
	r, n := utf8.DecodeRuneInString(member)
	return string(unicode.ToLower(r)) + member[n:]
}

// members are the exported fields of an SDK input struct (the SDK's
// noSmithyDocumentSerde marker is unexported).
func members(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			out[cloudTrailName(f.Name)] = f.Type
		}
	}
	return out
}

// structOf is the struct a member holds (through pointers and slices), or
// nil for a scalar or a list of scalars.
func structOf(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		return t
	}
	return nil
}

// TestListsCoverTheSDK holds both lists to the SDK the engine is built
// with: every member of ModifyDBInstanceInput / ModifyDBClusterInput is
// either sent by forcessl (Sent, with or without the CA) or watched (Keys),
// never both; every watched key is a member of that call (so a wrong name,
// like dBParameterGroupName on ModifyDBCluster, fails); and a structured
// member's CloudTrail members are Members', so the rules' exists filters
// land on leaves. A new SDK member fails this until it is classified.
func TestListsCoverTheSDK(t *testing.T) {
	for call, input := range map[string]any{"ModifyDBInstance": rds.ModifyDBInstanceInput{}, "ModifyDBCluster": rds.ModifyDBClusterInput{}} {
		fields := members(reflect.TypeOf(input))
		if len(fields) < 40 {
			t.Fatalf("%s: %d members: is the walk broken?", call, len(fields))
		}
		keys := Keys(call, false)
		sent := Sent(call, true) // the widest: with the CA
		for name, typ := range fields {
			watched, isSent := slices.Contains(keys, name), slices.Contains(sent, name)
			switch {
			case watched && isSent && !(name == "cACertificateIdentifier" && call == "ModifyDBInstance"):
				t.Errorf("%s: %s is both sent and watched", call, name)
			case !watched && !isSent:
				t.Errorf("%s: SDK member %s is neither sent by forcessl nor watched by the tripwire", call, name)
			}
			if st := structOf(typ); st != nil && watched {
				var want []string
				for m := range members(st) {
					want = append(want, m)
				}
				slices.Sort(want)
				got := slices.Sorted(slices.Values(Members[name]))
				if !slices.Equal(got, want) {
					t.Errorf("%s: structured %s has members %v in the SDK, Members lists %v", call, name, want, got)
				}
			}
		}
		for _, k := range append(slices.Clone(keys), sent...) {
			if _, ok := fields[k]; !ok {
				t.Errorf("%s: %s is not a member of %sInput", call, k, call)
			}
		}
	}
	for k := range Members {
		if !slices.Contains(Keys("ModifyDBInstance", false), k) && !slices.Contains(Keys("ModifyDBCluster", false), k) {
			t.Errorf("Members lists %s, which no call watches", k)
		}
	}
	// The examples, by name.
	for call, want := range map[string][]string{
		"ModifyDBInstance": {"masterUserAuthenticationType", "tdeCredentialArn", "tdeCredentialPassword", "multiTenant", "engine",
			"engineLifecycleSupport", "promotionTier", "additionalStorageVolumes", "dBCapacityReservationIdentifier", "tagSpecifications"},
		"ModifyDBCluster": {"masterUserAuthenticationType", "enableLimitlessDatabase", "allowEngineModeChange", "engineLifecycleSupport",
			"dBInstanceParameterGroupName"},
	} {
		for _, k := range want {
			if !slices.Contains(Keys(call, true), k) {
				t.Errorf("%s: %s is not watched", call, k)
			}
		}
	}
	if slices.Contains(Keys("ModifyDBCluster", false), "dBParameterGroupName") {
		t.Error("ModifyDBCluster has no dBParameterGroupName")
	}
	if strings.Contains(strings.Join(Keys("ModifyDBInstance", true), ","), "cACertificateIdentifier") {
		t.Error("with a CA applied, forcessl's own CA change is watched")
	}
}
