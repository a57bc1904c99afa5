package state

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Intents lists every resource whose memory holds an intent (a reboot
// forcessl owes), for `forcessl upcoming` and `status`: one paged Scan
// of the table, filtered to resource states with an intent. An operator's
// command, never the engine's hot path.
func Intents(ctx context.Context, client dynamodb.ScanAPIClient, table string) ([]Resource, error) {
	in := &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("sk = :state AND attribute_exists(intent) AND begins_with(pk, :resource)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":state": str(skState), ":resource": str("resource#")}}
	var out []Resource
	for p := dynamodb.NewScanPaginator(client, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list forcessl's intents: %w", err)
		}
		for _, row := range page.Items {
			var it resourceItem
			if err := attributevalue.UnmarshalMap(row, &it); err != nil {
				return nil, fmt.Errorf("list forcessl's intents: %w", err)
			}
			parts := strings.SplitN(strings.TrimPrefix(it.PK, "resource#"), "#", 3)
			if len(parts) != 3 {
				continue
			}
			r, err := it.resource(Key{Account: parts[0], Region: parts[1], ResourceID: parts[2]})
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}
