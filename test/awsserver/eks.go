package awsserver

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// restJSON is AWS REST-JSON, as EKS speaks it.
type restJSON struct{}

func (restJSON) action(r *http.Request, _ []byte) (string, error) {
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/clusters/") && strings.Count(r.URL.Path, "/") == 2 {
		return "DescribeCluster", nil
	}
	return "", fmt.Errorf("%s %s is not an EKS operation this test server supports", r.Method, r.URL.Path)
}

func (restJSON) serve(s *Server, _ string, r *http.Request, _ []byte) (any, *apiError) {
	name := strings.TrimPrefix(r.URL.Path, "/clusters/")
	s.mu.Lock()
	c, ok := s.clusters[name]
	s.mu.Unlock()
	if !ok {
		return nil, errf(404, "ResourceNotFoundException", "No cluster found for name: %s.", name)
	}
	return map[string]any{"cluster": map[string]any{
		"name":                 c.Name,
		"arn":                  fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", s.Region, s.Account, c.Name),
		"status":               c.Status,
		"endpoint":             c.Endpoint,
		"version":              c.Version,
		"createdAt":            float64(s.now().Unix()),
		"certificateAuthority": map[string]any{"data": base64.StdEncoding.EncodeToString(c.CA)},
	}}, nil
}

func (restJSON) write(w http.ResponseWriter, _ string, out any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (restJSON) writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]string{"message": e.msg})
}
