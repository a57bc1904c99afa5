package state

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/forcessl/forcessl/pkg/state/schema"
)

// putAll writes split rows (Expected shards, report chunks) one by one.
// Their keys are fresh (a set drawn for this write), so the puts need no
// condition and a retry of the whole operation writes new rows rather than
// touching ones another write references.
func putAll[T any](ctx context.Context, d *Dynamo, rows []T) error {
	for _, r := range rows {
		if err := d.put(ctx, r, "", nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// deleteRows removes split rows that lost (a concurrent start's shards, a
// redelivery's chunks). Best effort: nothing references them, and the ttl
// they carry removes whatever a failed delete leaves.
func (d *Dynamo) deleteRows(ctx context.Context, pk string, sks []string) {
	for _, sk := range sks {
		_, _ = d.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &d.table, Key: itemKey(pk, sk)})
	}
}

func shardKeys(rows []expectedItem) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.SK
	}
	return out
}

func chunkKeys(rows []chunkItem) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.SK
	}
	return out
}

// add sorts a sweep partition's rows, as Query returns them, by kind.
func (rs *sweepRows) add(rows []map[string]types.AttributeValue) error {
	for _, row := range rows {
		sk, _ := row[schema.SortKey].(*types.AttributeValueMemberS)
		if sk == nil {
			continue
		}
		var err error
		switch {
		case sk.Value == skRun:
			var it runItem
			if err = attributevalue.UnmarshalMap(row, &it); err == nil {
				rs.run = &it
			}
		case strings.HasPrefix(sk.Value, expectedPrefix):
			var it expectedItem
			if err = attributevalue.UnmarshalMap(row, &it); err == nil {
				rs.addShard(it)
			}
		case strings.HasPrefix(sk.Value, itemPrefix):
			var it recordItem
			if err = attributevalue.UnmarshalMap(row, &it); err == nil {
				rs.records = append(rs.records, it)
			}
		case strings.HasPrefix(sk.Value, chunkPrefix):
			var it chunkItem
			if err = attributevalue.UnmarshalMap(row, &it); err == nil {
				rs.addChunk(it)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
