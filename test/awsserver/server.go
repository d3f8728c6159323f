// Package awsserver is a test server that speaks the AWS wire protocols
// fleetup uses, on 127.0.0.1: Secrets Manager (JSON 1.1), STS (query), EKS
// (REST-JSON) and Route53 (REST-XML). Every request must carry a valid
// SigV4 signature, recomputed with the SDK's own signer, for the right
// service and region. It can be told to deny an action or to fail one
// transiently, so that errors and retries are tested with the real SDK.
package awsserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credentials the server accepts (AccessKeyID, SecretAccessKey).
const (
	AccessKeyID     = "AKIDFLEETUPTEST00001"
	SecretAccessKey = "fleetup-test-secret-access-key-0001"
)

// GlobalRegion is the signing region of global services (Route53).
const GlobalRegion = "us-east-1"

// Server is a running test server.
type Server struct {
	URL     string
	Region  string
	Account string
	ARN     string

	srv *http.Server
	mu  sync.Mutex
	// state
	secrets  map[string]*secret
	clusters map[string]Cluster
	zones    []Zone
	deny     map[string]bool
	faults   map[string][]int
	calls    []string
	now      func() time.Time
}

// Cluster is an EKS cluster the server knows.
type Cluster struct {
	Name, Status, Endpoint, Version string
	CA                              []byte // PEM
}

// Zone is a Route53 hosted zone.
type Zone struct{ ID, Name string }

// Start serves on a free 127.0.0.1 port until the test ends.
func Start(t testing.TB, region string) *Server {
	t.Helper()
	s, err := New(region)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// New serves on a free 127.0.0.1 port until Close (for TestMain, where
// the server outlives single tests).
func New(region string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL: "http://" + l.Addr().String(), Region: region, Account: "123456789012",
		ARN:     "arn:aws:iam::123456789012:user/fleetup-test",
		secrets: map[string]*secret{}, clusters: map[string]Cluster{}, deny: map[string]bool{}, faults: map[string][]int{},
		now: time.Now,
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(l)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Env is the environment that points an AWS SDK process (fleetup, or the
// External Secrets controller) at this server with its credentials.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.URL,
		"AWS_SECRETSMANAGER_ENDPOINT=" + s.URL, // External Secrets' own variables
		"AWS_STS_ENDPOINT=" + s.URL,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/nonexistent",
		"AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
	}
}

// Credentials are the static credentials the server accepts.
func Credentials() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, Source: "awsserver"}, nil
	})
}

// AddCluster registers an EKS cluster.
func (s *Server) AddCluster(c Cluster) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clusters[c.Name] = c
}

// AddZone registers a hosted zone.
func (s *Server) AddZone(z Zone) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zones = append(s.zones, z)
}

// Deny makes the server refuse an IAM action, e.g. "secretsmanager:CreateSecret".
func (s *Server) Deny(action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny[action] = true
}

// Fail makes the next calls of an action fail transiently, with these HTTP
// statuses in order: 429 or 400 is throttling, 5xx a server error.
func (s *Server) Fail(action string, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[action] = append(s.faults[action], statuses...)
}

// Calls lists the actions served (after authentication), in order.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.calls...)
}

// apiError is an AWS error in protocol-neutral form.
type apiError struct {
	status    int
	code, msg string
}

func errf(status int, code, format string, a ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, a...)}
}

// protocol writes responses and errors in a service's wire format.
type protocol interface {
	action(r *http.Request, body []byte) (string, error)
	serve(s *Server, action string, r *http.Request, body []byte) (any, *apiError)
	write(w http.ResponseWriter, action string, out any)
	writeError(w http.ResponseWriter, e *apiError)
}

// ServeHTTP authenticates, applies denials and faults, and dispatches by
// the service named in the signature's credential scope.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	service, err := s.authenticate(r, body)
	protocols := map[string]protocol{"secretsmanager": jsonProtocol{}, "sts": queryProtocol{}, "eks": restJSON{}, "route53": restXML{}}
	p := protocols[service]
	if p == nil {
		p = jsonProtocol{}
	}
	if err != nil {
		code := "InvalidSignatureException"
		if service == "sts" || service == "route53" {
			code = "SignatureDoesNotMatch"
		}
		p.writeError(w, errf(http.StatusForbidden, code, "%v", err))
		return
	}
	action, err := p.action(r, body)
	if err != nil {
		p.writeError(w, errf(http.StatusBadRequest, "InvalidRequestException", "%v", err))
		return
	}
	iam := service + ":" + action
	s.mu.Lock()
	denied := s.deny[iam]
	var fault int
	if f := s.faults[iam]; len(f) > 0 {
		fault, s.faults[iam] = f[0], f[1:]
	}
	s.calls = append(s.calls, iam)
	s.mu.Unlock()
	switch {
	case denied:
		code := "AccessDeniedException"
		if service == "sts" || service == "route53" {
			code = "AccessDenied"
		}
		p.writeError(w, errf(http.StatusForbidden, code, "User: %s is not authorized to perform: %s because no identity-based policy allows the %s action", s.ARN, iam, iam))
		return
	case fault == 429 || fault == 400:
		code := "ThrottlingException"
		if service == "sts" || service == "route53" {
			code = "Throttling"
		}
		p.writeError(w, errf(fault, code, "Rate exceeded"))
		return
	case fault >= 500:
		p.writeError(w, errf(fault, "InternalFailure", "injected server error"))
		return
	}
	out, apiErr := p.serve(s, action, r, body)
	if apiErr != nil {
		p.writeError(w, apiErr)
		return
	}
	p.write(w, action, out)
}

// authenticate checks the SigV4 signature of a request (header or
// presigned query) by signing the same request again with the SDK's signer,
// and returns the service of its credential scope.
func (s *Server) authenticate(r *http.Request, body []byte) (string, error) {
	q := r.URL.Query()
	presigned := q.Get("X-Amz-Signature") != ""
	var cred, signedHeaders, signature, amzDate string
	if presigned {
		cred, signedHeaders, signature, amzDate = q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
	} else {
		auth := r.Header.Get("Authorization")
		rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
		if !ok {
			return "", fmt.Errorf("no SigV4 Authorization header")
		}
		for _, part := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				cred = v
			case "SignedHeaders":
				signedHeaders = v
			case "Signature":
				signature = v
			}
		}
		amzDate = r.Header.Get("X-Amz-Date")
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return "", fmt.Errorf("malformed credential scope %q", cred)
	}
	akid, region, service := scope[0], scope[2], scope[3]
	if akid != AccessKeyID {
		return service, fmt.Errorf("unknown access key %s", akid)
	}
	// Route53 is global and signs with us-east-1; through a custom
	// endpoint the SDK signs with the client's region instead.
	if region != s.Region && !(service == "route53" && region == GlobalRegion) {
		return service, fmt.Errorf("signed for region %s, this endpoint is %s", region, s.Region)
	}
	when, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return service, fmt.Errorf("bad X-Amz-Date %q", amzDate)
	}
	if d := s.now().Sub(when); d > 15*time.Minute || d < -5*time.Minute {
		return service, fmt.Errorf("signature expired or not yet valid (signed %s)", when)
	}
	creds := aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}
	// The same request with only the signed headers, signed again.
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	again, _ := http.NewRequest(r.Method, u.String(), bytes.NewReader(body))
	again.Host = r.Host
	for _, h := range strings.Split(signedHeaders, ";") {
		if h != "host" && h != "content-length" {
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	if presigned {
		expires := q.Get("X-Amz-Expires")
		var secs int
		if _, err := fmt.Sscan(expires, &secs); err != nil || secs <= 0 || secs > 604800 {
			return service, fmt.Errorf("bad X-Amz-Expires %q", expires)
		}
		if s.now().After(when.Add(time.Duration(secs) * time.Second)) {
			return service, fmt.Errorf("presigned URL expired")
		}
		// Sign the URL without its signature parameters.
		clean := again.URL.Query()
		for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
			clean.Del(k)
		}
		again.URL.RawQuery = clean.Encode()
		signed, _, err := signer.PresignHTTP(context.Background(), creds, again, hashOf(body), service, region, when)
		if err != nil {
			return service, err
		}
		su, _ := url.Parse(signed)
		if su.Query().Get("X-Amz-Signature") != signature {
			return service, fmt.Errorf("the presigned signature does not match")
		}
		return service, nil
	}
	if err := signer.SignHTTP(context.Background(), creds, again, hashOf(body), service, region, when); err != nil {
		return service, err
	}
	if got := signatureOf(again.Header.Get("Authorization")); got != signature {
		return service, fmt.Errorf("the request signature we calculated does not match the signature you provided (signed headers %s)", signedHeaders)
	}
	return service, nil
}

func signatureOf(auth string) string {
	_, sig, _ := strings.Cut(auth, "Signature=")
	return sig
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
