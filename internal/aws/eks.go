package aws

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"k8s.io/client-go/rest"
)

// Cluster is what fleetup needs of an EKS cluster.
type Cluster struct {
	Name, ARN, Status, Endpoint, Version string
	CA                                   []byte // PEM
}

// Cluster calls EKS DescribeCluster.
func (c *Clients) Cluster(ctx context.Context, name string) (Cluster, error) {
	out, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		if IsNotFound(err) {
			return Cluster{}, fmt.Errorf("EKS cluster %s does not exist in %s (cluster_name and region in config.yaml)", name, c.Region)
		}
		return Cluster{}, Explain(err)
	}
	cl := out.Cluster
	res := Cluster{Name: name, ARN: aws.ToString(cl.Arn), Status: string(cl.Status), Endpoint: aws.ToString(cl.Endpoint), Version: aws.ToString(cl.Version)}
	if cl.CertificateAuthority != nil {
		ca, err := base64.StdEncoding.DecodeString(aws.ToString(cl.CertificateAuthority.Data))
		if err != nil {
			return Cluster{}, fmt.Errorf("EKS cluster %s: certificate authority: %w", name, err)
		}
		res.CA = ca
	}
	return res, nil
}

// Token is a bearer token for an EKS cluster.
type Token struct {
	Value   string
	Expires time.Time
}

// Token prefix and lifetime as the AWS IAM authenticator expects them: the
// presigned URL is valid for 60 s of signing skew, the authenticator
// accepts a token for 15 minutes after signing.
const (
	tokenPrefix   = "k8s-aws-v1."
	clusterHeader = "x-k8s-aws-id"
	presignExpiry = 60
	tokenLifetime = 15 * time.Minute
)

// Token makes an EKS bearer token in-process: a presigned STS
// GetCallerIdentity URL that signs the x-k8s-aws-id header with the
// cluster's name, base64url-encoded behind "k8s-aws-v1.".
func (c *Clients) Token(ctx context.Context, cluster string) (Token, error) {
	now := time.Now()
	req, err := c.presign.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.PresignOptions) {
		o.ClientOptions = append(o.ClientOptions, func(so *sts.Options) {
			so.APIOptions = append(so.APIOptions,
				smithyhttp.SetHeaderValue(clusterHeader, cluster),
				smithyhttp.SetHeaderValue("X-Amz-Expires", fmt.Sprint(presignExpiry)),
			)
		})
	})
	if err != nil {
		return Token{}, fmt.Errorf("EKS token for %s: %w", cluster, Explain(err))
	}
	return Token{
		Value:   tokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)),
		Expires: now.Add(tokenLifetime),
	}, nil
}

// RESTConfig connects to an EKS cluster without a kubeconfig: endpoint and
// CA from DescribeCluster, and a token made in-process and made again
// before it expires, so long waits keep working.
func (c *Clients) RESTConfig(ctx context.Context, cl Cluster) *rest.Config {
	src := &tokenSource{clients: c, cluster: cl.Name, base: context.WithoutCancel(ctx)}
	return &rest.Config{
		Host:            cl.Endpoint,
		TLSClientConfig: rest.TLSClientConfig{CAData: cl.CA},
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
			return &bearer{src: src, next: rt}
		},
	}
}

// tokenSource caches a token and renews it 5 minutes before it expires.
type tokenSource struct {
	clients *Clients
	cluster string
	base    context.Context
	mu      sync.Mutex
	tok     Token
}

func (s *tokenSource) get() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Until(s.tok.Expires) > 5*time.Minute {
		return s.tok.Value, nil
	}
	ctx, cancel := context.WithTimeout(s.base, time.Minute)
	defer cancel()
	t, err := s.clients.Token(ctx, s.cluster)
	if err != nil {
		return "", err
	}
	s.tok = t
	return t.Value, nil
}

type bearer struct {
	src  *tokenSource
	next http.RoundTripper
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	tok, err := b.src.get()
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return b.next.RoundTrip(r)
}
