// Package aws is fleetup's access to AWS with aws-sdk-go-v2: the caller's
// identity (STS), the EKS cluster and an in-process token for it, the
// Route53 hosted zone, and the platform secrets in Secrets Manager. No aws
// CLI is needed. Credentials come the standard way (environment, shared
// profiles including SSO, web identity, IMDS); the region always comes from
// config.yaml.
package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
)

// Options select the account and region.
type Options struct {
	// Region is config.yaml's region; it wins over the environment.
	Region string
	// Profile is a shared config profile (--profile); empty for the default
	// chain.
	Profile string
	// Endpoint replaces every service's endpoint (a test server); the
	// standard AWS_ENDPOINT_URL* variables also work.
	Endpoint string
	// Credentials replace the default chain (tests).
	Credentials aws.CredentialsProvider
	// MaxBackoff bounds the delay between retries (tests shorten it).
	MaxBackoff time.Duration
	HTTPClient *http.Client
}

// Clients are the service clients fleetup uses.
type Clients struct {
	Region         string
	STS            *sts.Client
	EKS            *eks.Client
	SecretsManager *secretsmanager.Client
	Route53        *route53.Client
	presign        *sts.PresignClient
}

// New loads credentials and builds the clients.
func New(ctx context.Context, o Options) (*Clients, error) {
	if o.Region == "" {
		return nil, errors.New("aws: no region: set region in config.yaml")
	}
	// The SDK's own warnings would bypass fleetup's output and redaction.
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(o.Region), awsconfig.WithLogger(logging.Nop{})}
	if o.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(o.Profile))
	}
	if o.Credentials != nil {
		opts = append(opts, awsconfig.WithCredentialsProvider(o.Credentials))
	}
	if o.HTTPClient != nil {
		opts = append(opts, awsconfig.WithHTTPClient(o.HTTPClient))
	}
	if o.MaxBackoff > 0 {
		opts = append(opts, awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(s *retry.StandardOptions) { s.MaxBackoff = o.MaxBackoff })
		}))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("aws: load credentials and settings: %w", err)
	}
	// The region of config.yaml wins over AWS_REGION and the profile's.
	cfg.Region = o.Region
	if o.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(o.Endpoint)
	}
	c := &Clients{
		Region:         o.Region,
		STS:            sts.NewFromConfig(cfg),
		EKS:            eks.NewFromConfig(cfg),
		SecretsManager: secretsmanager.NewFromConfig(cfg),
		Route53:        route53.NewFromConfig(cfg),
	}
	c.presign = sts.NewPresignClient(c.STS)
	return c, nil
}

// Identity is who the credentials belong to.
type Identity struct {
	Account, ARN string
}

// Identity calls STS GetCallerIdentity.
func (c *Clients) Identity(ctx context.Context) (Identity, error) {
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, Explain(err)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn)}, nil
}
