package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
)

// CheckHostedZone verifies that the hosted zone exists and is the zone of
// domain or of a parent of it (external-dns writes records into it).
func (c *Clients) CheckHostedZone(ctx context.Context, zoneID, domain string) error {
	want := strings.TrimSuffix(strings.ToLower(domain), ".")
	labels := strings.Split(want, ".")
	// The domain, then each parent down to two labels.
	for i := 0; i < len(labels)-1; i++ {
		name := strings.Join(labels[i:], ".")
		out, err := c.Route53.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String(name + "."), MaxItems: aws.Int32(10)})
		if err != nil {
			return Explain(err)
		}
		for _, z := range out.HostedZones {
			if strings.TrimSuffix(strings.ToLower(aws.ToString(z.Name)), ".") != name {
				break // listed in name order: past this name
			}
			if strings.TrimPrefix(aws.ToString(z.Id), "/hostedzone/") == zoneID {
				return nil
			}
		}
	}
	return fmt.Errorf("Route53 hosted zone %s is not a zone of domain %s in this account (route53_hosted_zone_id and domain in config.yaml)", zoneID, want)
}
