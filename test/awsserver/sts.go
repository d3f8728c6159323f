package awsserver

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
)

// queryProtocol is the AWS query protocol, as STS speaks it: form-encoded
// POST bodies, or a GET with the parameters in the URL (a presigned
// GetCallerIdentity, which is what EKS tokens are).
type queryProtocol struct{}

func (queryProtocol) params(r *http.Request, body []byte) (url.Values, error) {
	if r.Method == http.MethodGet {
		return r.URL.Query(), nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		return nil, fmt.Errorf("content type %q, expected application/x-www-form-urlencoded", ct)
	}
	return url.ParseQuery(string(body))
}

func (q queryProtocol) action(r *http.Request, body []byte) (string, error) {
	v, err := q.params(r, body)
	if err != nil {
		return "", err
	}
	if v.Get("Version") != "2011-06-15" {
		return "", fmt.Errorf("Version %q, expected 2011-06-15", v.Get("Version"))
	}
	if v.Get("Action") == "" {
		return "", fmt.Errorf("no Action")
	}
	return v.Get("Action"), nil
}

type callerIdentity struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result  struct {
		Arn, UserId, Account string
	} `xml:"GetCallerIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

func (queryProtocol) serve(s *Server, action string, r *http.Request, _ []byte) (any, *apiError) {
	if action != "GetCallerIdentity" {
		return nil, errf(400, "InvalidAction", "action %s is not supported by this test server", action)
	}
	// A presigned token must bind the cluster name (x-k8s-aws-id), signed.
	if r.Method == http.MethodGet && r.URL.Query().Get("X-Amz-SignedHeaders") != "" && r.Header.Get("X-K8s-Aws-Id") == "" {
		return nil, errf(403, "AccessDenied", "presigned request without the x-k8s-aws-id header")
	}
	out := callerIdentity{RequestID: "fleetup-test"}
	out.Result.Arn, out.Result.UserId, out.Result.Account = s.ARN, "AIDAFLEETUPTEST", s.Account
	return out, nil
}

func (queryProtocol) write(w http.ResponseWriter, _ string, out any) {
	w.Header().Set("Content-Type", "text/xml")
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(out)
}

type xmlError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr,omitempty"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func writeXMLError(w http.ResponseWriter, e *apiError, ns string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	kind := "Sender"
	if e.status >= 500 {
		kind = "Receiver"
	}
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(xmlError{Xmlns: ns, Type: kind, Code: e.code, Message: e.msg, RequestID: "fleetup-test"})
}

func (queryProtocol) writeError(w http.ResponseWriter, e *apiError) {
	writeXMLError(w, e, "https://sts.amazonaws.com/doc/2011-06-15/")
}
