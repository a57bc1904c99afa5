package state

import (
	"reflect"
	"strings"
	"testing"

	"github.com/forcessl/forcessl/pkg/state/schema"
)

// The CDK app creates the table from package schema: every item this
// package writes must use those names for its keys and TTL.
func TestItemsUseTheTableSchema(t *testing.T) {
	for _, item := range []any{resourceItem{}, historyItem{}, nameItem{}, runItem{}, recordItem{}} {
		typ := reflect.TypeOf(item)
		want := map[string]string{"PK": schema.PartitionKey, "SK": schema.SortKey, "TTL": schema.TTLAttribute}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, ok := want[f.Name]
			if !ok {
				continue
			}
			if tag, _, _ := strings.Cut(f.Tag.Get("dynamodbav"), ","); tag != name {
				t.Errorf("%s.%s is stored as %q, the table's schema says %q", typ.Name(), f.Name, tag, name)
			}
			delete(want, f.Name)
		}
		if _, noKey := want["PK"]; noKey {
			t.Errorf("%s has no partition key", typ.Name())
		}
	}
}
