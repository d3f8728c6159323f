package awsserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// secret is a Secrets Manager secret: its current value and metadata.
type secret struct {
	Name, ARN, KMSKeyID string
	Value               string
	Version             int
	Tags                map[string]string
	Deleted             *time.Time
}

// SecretValue returns a secret's current value (tests check what fleetup
// wrote); ok is false when it does not exist.
func (s *Server) SecretValue(name string) (value string, tags map[string]string, kms string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[name]
	if sec == nil {
		return "", nil, "", false
	}
	return sec.Value, sec.Tags, sec.KMSKeyID, true
}

// ScheduledForDeletion reports whether a secret awaits deletion.
func (s *Server) ScheduledForDeletion(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.secrets[name] != nil && s.secrets[name].Deleted != nil
}

// jsonProtocol is AWS JSON 1.1, as Secrets Manager speaks it.
type jsonProtocol struct{}

func (jsonProtocol) action(r *http.Request, body []byte) (string, error) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "secretsmanager.")
	if !ok || r.Method != http.MethodPost {
		return "", fmt.Errorf("expected POST with X-Amz-Target secretsmanager.<Operation>, got %s %q", r.Method, target)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		return "", fmt.Errorf("content type %q, expected application/x-amz-json-1.1", ct)
	}
	if !json.Valid(body) {
		return "", fmt.Errorf("the request body is not JSON")
	}
	return op, nil
}

func (jsonProtocol) write(w http.ResponseWriter, _ string, out any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func (jsonProtocol) writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "message": e.msg})
}

type tag struct{ Key, Value string }

type smRequest struct {
	Name, SecretId, SecretString, KmsKeyId, ClientRequestToken string
	Tags                                                       []tag
	RecoveryWindowInDays                                       *int64
	ForceDeleteWithoutRecovery                                 *bool
	Filters                                                    []struct {
		Key    string
		Values []string
	}
}

func (jsonProtocol) serve(s *Server, op string, _ *http.Request, body []byte) (any, *apiError) {
	var in smRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, errf(400, "InvalidRequestException", "malformed request: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := in.SecretId
	find := func() (*secret, *apiError) {
		if id == "" {
			return nil, errf(400, "InvalidParameterException", "SecretId is required")
		}
		for _, sec := range s.secrets {
			if sec.Name == id || sec.ARN == id {
				return sec, nil
			}
		}
		return nil, errf(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	live := func() (*secret, *apiError) {
		sec, e := find()
		if e == nil && sec.Deleted != nil {
			return nil, errf(400, "InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
		}
		return sec, e
	}
	now := float64(s.now().Unix())
	switch op {
	case "CreateSecret":
		if in.Name == "" {
			return nil, errf(400, "InvalidParameterException", "Name is required")
		}
		if sec := s.secrets[in.Name]; sec != nil {
			if sec.Deleted != nil {
				return nil, errf(400, "InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
			}
			return nil, errf(400, "ResourceExistsException", "The operation failed because the secret %s already exists.", in.Name)
		}
		sec := &secret{Name: in.Name, ARN: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", s.Region, s.Account, in.Name), KMSKeyID: in.KmsKeyId, Value: in.SecretString, Version: 1, Tags: map[string]string{}}
		for _, t := range in.Tags {
			sec.Tags[t.Key] = t.Value
		}
		s.secrets[in.Name] = sec
		return map[string]any{"ARN": sec.ARN, "Name": sec.Name, "VersionId": versionID(sec)}, nil
	case "DescribeSecret":
		sec, e := find()
		if e != nil {
			return nil, e
		}
		out := map[string]any{"ARN": sec.ARN, "Name": sec.Name, "Tags": tagList(sec.Tags), "LastChangedDate": now}
		if sec.KMSKeyID != "" {
			out["KmsKeyId"] = sec.KMSKeyID
		}
		if sec.Deleted != nil {
			out["DeletedDate"] = float64(sec.Deleted.Unix())
		}
		return out, nil
	case "GetSecretValue":
		sec, e := live()
		if e != nil {
			return nil, e
		}
		return map[string]any{"ARN": sec.ARN, "Name": sec.Name, "SecretString": sec.Value, "VersionId": versionID(sec), "VersionStages": []string{"AWSCURRENT"}, "CreatedDate": now}, nil
	case "PutSecretValue":
		sec, e := live()
		if e != nil {
			return nil, e
		}
		if in.SecretString == "" {
			return nil, errf(400, "InvalidParameterException", "You must provide either SecretString or SecretBinary.")
		}
		sec.Value = in.SecretString
		sec.Version++
		return map[string]any{"ARN": sec.ARN, "Name": sec.Name, "VersionId": versionID(sec), "VersionStages": []string{"AWSCURRENT"}}, nil
	case "TagResource":
		sec, e := live()
		if e != nil {
			return nil, e
		}
		for _, t := range in.Tags {
			sec.Tags[t.Key] = t.Value
		}
		return map[string]any{}, nil
	case "DeleteSecret":
		sec, e := find()
		if e != nil {
			return nil, e
		}
		force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
		if force && in.RecoveryWindowInDays != nil {
			return nil, errf(400, "InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
		}
		days := int64(30)
		if in.RecoveryWindowInDays != nil {
			days = *in.RecoveryWindowInDays
			if days < 7 || days > 30 {
				return nil, errf(400, "InvalidParameterException", "RecoveryWindowInDays must be between 7 and 30 days.")
			}
		}
		if force {
			delete(s.secrets, sec.Name)
			return map[string]any{"ARN": sec.ARN, "Name": sec.Name, "DeletionDate": now}, nil
		}
		if sec.Deleted != nil {
			return nil, errf(400, "InvalidRequestException", "You can't perform this operation on the secret because it was already scheduled for deletion.")
		}
		t := s.now()
		sec.Deleted = &t
		return map[string]any{"ARN": sec.ARN, "Name": sec.Name, "DeletionDate": float64(t.Add(time.Duration(days) * 24 * time.Hour).Unix())}, nil
	case "RestoreSecret":
		sec, e := find()
		if e != nil {
			return nil, e
		}
		sec.Deleted = nil
		return map[string]any{"ARN": sec.ARN, "Name": sec.Name}, nil
	case "ListSecrets":
		var list []map[string]any
		for _, name := range sortedKeys(s.secrets) {
			sec := s.secrets[name]
			if sec.Deleted != nil || !matches(sec, in) {
				continue
			}
			list = append(list, map[string]any{"ARN": sec.ARN, "Name": sec.Name, "Tags": tagList(sec.Tags)})
		}
		return map[string]any{"SecretList": list}, nil
	}
	return nil, errf(400, "InvalidRequestException", "operation %s is not supported by this test server", op)
}

// matches applies ListSecrets name and tag-key filters (prefix matches).
func matches(sec *secret, in smRequest) bool {
	for _, f := range in.Filters {
		ok := false
		for _, v := range f.Values {
			switch f.Key {
			case "name":
				ok = ok || strings.HasPrefix(sec.Name, v)
			case "tag-key":
				_, has := sec.Tags[v]
				ok = ok || has
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func tagList(tags map[string]string) []tag {
	out := []tag{}
	for _, k := range sortedKeys(tags) {
		out = append(out, tag{k, tags[k]})
	}
	return out
}

func versionID(sec *secret) string { return fmt.Sprintf("00000000-0000-0000-0000-%012d", sec.Version) }
