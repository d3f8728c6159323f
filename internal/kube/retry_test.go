package kube

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

func TestBackoffDoublesToTheCapWithJitter(t *testing.T) {
	o := RetryOptions{InitialDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second}.withDefaults()
	// Without jitter (rnd 0) the wait is half the nominal delay; with the
	// most (rnd just below 1) almost all of it.
	for n, nominal := range []time.Duration{200, 400, 800, 1600, 3200, 5000, 5000, 5000} {
		nominal *= time.Millisecond
		if got := o.backoff(n+1, 0); got != nominal/2 {
			t.Errorf("attempt %d, no jitter: %v, want %v", n+1, got, nominal/2)
		}
		if got := o.backoff(n+1, 0.999999); got <= nominal*99/100 || got > nominal {
			t.Errorf("attempt %d, full jitter: %v, want just under %v", n+1, got, nominal)
		}
	}
	if got := o.backoff(1000, 0.5); got > 5*time.Second {
		t.Errorf("attempt 1000: %v, over the cap", got)
	}
}

func TestRetryableClassification(t *testing.T) {
	req := func(method, contentType string) *http.Request {
		r := httptest.NewRequest(method, "https://127.0.0.1:1/api/v1/namespaces/x/configmaps/y", nil)
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		return r
	}
	resp := func(code int) *http.Response { return &http.Response{StatusCode: code, Header: http.Header{}} }
	opErr := func(op string, errno syscall.Errno) error {
		return &url.Error{Op: "Patch", URL: "https://127.0.0.1:1/x", Err: &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError("connect", errno)}}
	}
	get, post := req(http.MethodGet, ""), req(http.MethodPost, "application/json")
	apply, merge := req(http.MethodPatch, "application/apply-patch+yaml"), req(http.MethodPatch, "application/merge-patch+json")
	for _, c := range []struct {
		name string
		req  *http.Request
		resp *http.Response
		err  error
		want bool
	}{
		{"connection refused", post, nil, opErr("dial", syscall.ECONNREFUSED), true},
		{"connection reset", post, nil, opErr("read", syscall.ECONNRESET), true},
		{"dial timeout", get, nil, &net.OpError{Op: "dial", Net: "tcp", Err: timeoutError{}}, true},
		{"EOF before a response", post, nil, &url.Error{Op: "Post", URL: "u", Err: io.EOF}, true},
		{"unexpected EOF", get, nil, fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"http2 connection lost", get, nil, errors.New("http2: client connection lost"), true},
		{"GOAWAY", apply, nil, errors.New("http2: server sent GOAWAY and closed the connection; LastStreamID=1"), true},
		{"context canceled", get, nil, &url.Error{Op: "Get", URL: "u", Err: context.Canceled}, false},
		{"context deadline", get, nil, &url.Error{Op: "Get", URL: "u", Err: context.DeadlineExceeded}, false},
		{"bad certificate", get, nil, &url.Error{Op: "Get", URL: "u", Err: x509.UnknownAuthorityError{}}, false},
		{"no such host", get, nil, &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}, false},
		{"429", post, resp(429), nil, true},
		{"502", post, resp(502), nil, true},
		{"503", post, resp(503), nil, true},
		{"504", post, resp(504), nil, true},
		{"500 GET", get, resp(500), nil, true},
		{"500 server-side apply", apply, resp(500), nil, true},
		{"500 POST", post, resp(500), nil, false},
		{"500 merge patch", merge, resp(500), nil, false},
		{"200", get, resp(200), nil, false},
		{"400", apply, resp(400), nil, false},
		{"401", get, resp(401), nil, false},
		{"403", get, resp(403), nil, false},
		{"404", get, resp(404), nil, false},
		{"409", post, resp(409), nil, false},
		{"422", apply, resp(422), nil, false},
	} {
		if got := Retryable(c.req, c.resp, c.err); got != c.want {
			t.Errorf("%s: retryable %v, want %v", c.name, got, c.want)
		}
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestRetryAfter(t *testing.T) {
	mk := func(code int, v string) *http.Response {
		return &http.Response{StatusCode: code, Header: http.Header{"Retry-After": []string{v}}}
	}
	if d, ok := retryAfter(mk(429, "3")); !ok || d != 3*time.Second {
		t.Errorf("429 Retry-After 3: %v %v", d, ok)
	}
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	if d, ok := retryAfter(mk(503, future)); !ok || d < 58*time.Minute {
		t.Errorf("503 Retry-After date: %v %v", d, ok)
	}
	if _, ok := retryAfter(mk(502, "3")); ok {
		t.Error("Retry-After of a 502 honoured")
	}
	if _, ok := retryAfter(mk(429, "soon")); ok {
		t.Error("unparsable Retry-After honoured")
	}
}

// attempts records what a Retry saw.
type attempts struct {
	mu   sync.Mutex
	list []Attempt
}

func (a *attempts) add(x Attempt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, x)
}

func (a *attempts) all() []Attempt {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Attempt(nil), a.list...)
}

func fastRetry(rec *attempts) RetryOptions {
	return RetryOptions{InitialDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond, OnAttempt: rec.add}
}

// TestRetryReplaysBody: a POST failing twice with 503 is sent three times,
// each time with the whole body; Retry-After 0 does not stop retrying.
func TestRetryReplaysBody(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n < 3 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"kind":"Status","message":"starting"}`)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	rec := &attempts{}
	client := &http.Client{Transport: fastRetry(rec).Wrap(http.DefaultTransport)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader(`{"a":1}`))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 3 || bodies[0] != `{"a":1}` || bodies[1] != bodies[0] || bodies[2] != bodies[0] {
		t.Errorf("bodies sent: %q", bodies)
	}
	got := rec.all()
	if len(got) != 3 || !got[0].Retry || got[0].Status != 503 || !got[1].Retry || got[2].Retry || got[2].Status != 200 {
		t.Errorf("attempts: %+v", got)
	}
}

// TestRetryNeedsReplayableBody: a body without GetBody is sent once, and
// the transient answer returned as it is.
func TestRetryNeedsReplayableBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	rec := &attempts{}
	client := &http.Client{Transport: fastRetry(rec).Wrap(http.DefaultTransport)}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, io.NopCloser(strings.NewReader("once")))
	req.GetBody = nil
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || len(rec.all()) != 1 {
		t.Errorf("status %d after %d attempts, want 503 after 1", resp.StatusCode, len(rec.all()))
	}
}

// TestRetryPermanentAnswerAtOnce: a 422 is returned after one attempt.
func TestRetryPermanentAnswerAtOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
	}))
	defer srv.Close()
	rec := &attempts{}
	client := &http.Client{Transport: fastRetry(rec).Wrap(http.DefaultTransport)}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 422 || len(rec.all()) != 1 {
		t.Errorf("status %d after %d attempts, want 422 after 1", resp.StatusCode, len(rec.all()))
	}
}

// TestRetryStopsWithTheContext: a server that never answers is retried
// until the context ends; the error says how often, keeps the last failure
// and the context's cause.
func TestRetryStopsWithTheContext(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: connection refused
	rec := &attempts{}
	cause := errors.New("install timed out")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	// Cancel once a few attempts were made, observed through the hook.
	o := fastRetry(rec)
	o.OnAttempt = func(a Attempt) {
		rec.add(a)
		if a.N == 3 {
			cancel(cause)
		}
	}
	client := &http.Client{Transport: o.Wrap(http.DefaultTransport)}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api", nil)
	_, err = client.Do(req)
	var re *RetryError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a RetryError", err)
	}
	if !errors.Is(err, cause) || !errors.Is(err, context.Canceled) || !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "retried ") {
		t.Errorf("err = %v", err)
	}
	if re.Attempts < 3 {
		t.Errorf("%d attempts", re.Attempts)
	}
}

// TestRetryBudgetWithoutDeadline: without a deadline retrying ends after
// the budget, with ErrRetryBudget.
func TestRetryBudgetWithoutDeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	rec := &attempts{}
	o := fastRetry(rec)
	o.Budget = 50 * time.Millisecond
	client := &http.Client{Transport: o.Wrap(http.DefaultTransport)}
	_, err := client.Get(srv.URL)
	var se *StatusError
	if !errors.Is(err, ErrRetryBudget) || !errors.As(err, &se) || se.Code != 502 {
		t.Fatalf("err = %v", err)
	}
	if n := len(rec.all()); n < 2 {
		t.Errorf("%d attempts", n)
	}
}

// TestWrapOnce: wrapping a retrying transport again does not nest retries.
func TestWrapOnce(t *testing.T) {
	o := RetryOptions{}
	once := o.Wrap(http.DefaultTransport)
	if twice := o.Wrap(once); twice != once {
		t.Error("a Retry was wrapped in another")
	}
}

// TestClientConfigRetries: the Config of a Client, which Helm is given,
// makes retrying transports too.
func TestClientConfigRetries(t *testing.T) {
	c, err := New(&rest.Config{Host: "https://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rest.CopyConfig(c.Config).WrapTransport(http.DefaultTransport).(*Retry); !ok {
		t.Error("a copy of the Client's Config does not retry")
	}
}

// TestRetryServerErrors: a 500 to a GET is retried twice, then returned as
// it is; the 500 rejecting a server-side apply is not retried, and its
// body is still whole.
func TestRetryServerErrors(t *testing.T) {
	const rejected = `{"kind":"Status","status":"Failure","message":"failed to create typed patch object (ns/w; test/v1, Kind=Widget): .spec.size: expected numeric, got string","reason":"InternalError","code":500}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		if r.Method == http.MethodPatch {
			fmt.Fprint(w, rejected)
			return
		}
		fmt.Fprint(w, "boom")
	}))
	defer srv.Close()
	for _, c := range []struct {
		method, body string
		attempts     int
	}{{http.MethodGet, "boom", 3}, {http.MethodPatch, rejected, 1}} {
		rec := &attempts{}
		client := &http.Client{Transport: fastRetry(rec).Wrap(http.DefaultTransport)}
		req, _ := http.NewRequest(c.method, srv.URL, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/apply-patch+yaml")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 || string(body) != c.body || len(rec.all()) != c.attempts {
			t.Errorf("%s: HTTP %d %q after %d attempts, want 500 %q after %d", c.method, resp.StatusCode, body, len(rec.all()), c.body, c.attempts)
		}
	}
}

// TestRetryWaitsForReadinessAfterOutage: a server that was unreachable
// answers again before it is ready, as a restarted kube-apiserver whose
// CRD informer has not synced answers 404 for custom resources. The retry
// asks /readyz until it says ready and only then repeats the request, so
// the 404 that would read as "deleted" is never seen; a server that never
// was unreachable is not asked.
func TestRetryWaitsForReadinessAfterOutage(t *testing.T) {
	var mu sync.Mutex
	readyIn := 3 // /readyz answers 500 this many times
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.URL.Path)
		if r.URL.Path == ReadyzPath {
			if readyIn > 0 {
				readyIn--
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			fmt.Fprint(w, "ok")
			return
		}
		if readyIn > 0 {
			w.WriteHeader(http.StatusNotFound) // the CRD handler is not there yet
			return
		}
		fmt.Fprint(w, `{"kind":"Widget"}`)
	}))
	defer srv.Close()
	refused := 1
	down := roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		if refused > 0 {
			refused--
			mu.Unlock()
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
		}
		mu.Unlock()
		return http.DefaultTransport.RoundTrip(req)
	})
	rec := &attempts{}
	client := &http.Client{Transport: fastRetry(rec).Wrap(down)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/apis/example.com/v1/widgets/w", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200 once the server is ready", resp.StatusCode)
	}
	mu.Lock()
	got := strings.Join(seen, " ")
	mu.Unlock()
	if want := "/readyz /readyz /readyz /readyz /apis/example.com/v1/widgets/w"; got != want {
		t.Errorf("requests %q, want %q", got, want)
	}

	// Reachable all along: no readiness question, the 404 is the answer.
	mu.Lock()
	seen, readyIn = nil, 1
	mu.Unlock()
	resp, err = client.Get(srv.URL + "/apis/example.com/v1/widgets/gone")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || strings.Join(seen, " ") != "/apis/example.com/v1/widgets/gone" {
		t.Errorf("status %d after %v, want 404 at once", resp.StatusCode, seen)
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
