package gate

import "context"

// OUDirectory says which OUs (and root) an account sits under, at any
// depth, from the sweep's cached OU listing in the state table: never an
// Organizations call per event. nil, nil when the listing does not know
// the account.
type OUDirectory interface {
	AccountOUs(ctx context.Context, account string) ([]string, error)
}
