package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// SecretAction is what Sync did, or what Diff says it would do.
type SecretAction string

// Secret actions.
const (
	SecretCreated   SecretAction = "create"
	SecretUpdated   SecretAction = "update"
	SecretUnchanged SecretAction = "unchanged"
	SecretRestored  SecretAction = "restore and update" // was scheduled for deletion
)

// Secret is one platform secret to write.
type Secret struct {
	Name string
	// Value is the JSON document (never printed).
	Value    string
	Tags     map[string]string
	KMSKeyID string
}

// Diff says what Sync would do, reading only.
func (c *Clients) Diff(ctx context.Context, s Secret) (SecretAction, error) {
	desc, err := c.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(s.Name)})
	if IsNotFound(err) {
		return SecretCreated, nil
	}
	if err != nil {
		return "", c.secretErr(s.Name, err)
	}
	if desc.DeletedDate != nil {
		return SecretRestored, nil
	}
	same, err := c.sameValue(ctx, s)
	if err != nil {
		return "", err
	}
	if same && tagsHeld(desc.Tags, s.Tags) {
		return SecretUnchanged, nil
	}
	return SecretUpdated, nil
}

// Sync creates the secret, or updates it only when its value or tags
// differ (compare, then PutSecretValue), restoring it first if it was
// scheduled for deletion.
func (c *Clients) Sync(ctx context.Context, s Secret) (SecretAction, error) {
	action, err := c.Diff(ctx, s)
	if err != nil {
		return "", err
	}
	switch action {
	case SecretCreated:
		in := &secretsmanager.CreateSecretInput{Name: aws.String(s.Name), SecretString: aws.String(s.Value), Tags: tagsOf(s.Tags), Description: aws.String("fleetup platform secret")}
		if s.KMSKeyID != "" {
			in.KmsKeyId = aws.String(s.KMSKeyID)
		}
		_, err := c.SecretsManager.CreateSecret(ctx, in)
		if hasCode(err, "ResourceExistsException") {
			// Created between Diff and here (another run): converge again.
			return c.Sync(ctx, s)
		}
		if err != nil {
			return "", c.secretErr(s.Name, err)
		}
		return SecretCreated, nil
	case SecretUnchanged:
		return SecretUnchanged, nil
	case SecretRestored:
		if _, err := c.SecretsManager.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(s.Name)}); err != nil {
			return "", c.secretErr(s.Name, err)
		}
	}
	same, err := c.sameValue(ctx, s)
	if err != nil {
		return "", err
	}
	if !same {
		if _, err := c.SecretsManager.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(s.Name), SecretString: aws.String(s.Value)}); err != nil {
			return "", c.secretErr(s.Name, err)
		}
	}
	if len(s.Tags) > 0 {
		if _, err := c.SecretsManager.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(s.Name), Tags: tagsOf(s.Tags)}); err != nil {
			return "", c.secretErr(s.Name, err)
		}
	}
	return action, nil
}

// DeleteSecret schedules the secret's deletion with the recovery window
// (days; 0 for AWS's default of 30), or deletes it at once with force. An
// absent secret is fine.
func (c *Clients) DeleteSecret(ctx context.Context, name string, windowDays int, force bool) error {
	in := &secretsmanager.DeleteSecretInput{SecretId: aws.String(name)}
	if force {
		in.ForceDeleteWithoutRecovery = aws.Bool(true)
	} else if windowDays > 0 {
		in.RecoveryWindowInDays = aws.Int64(int64(windowDays))
	}
	_, err := c.SecretsManager.DeleteSecret(ctx, in)
	if IsNotFound(err) || (!force && hasCode(err, "InvalidRequestException")) {
		// Gone, or already scheduled for deletion.
		return nil
	}
	if err != nil {
		return c.secretErr(name, err)
	}
	return nil
}

// sameValue compares the stored JSON with the desired one as documents,
// so key order and spacing do not count as changes.
func (c *Clients) sameValue(ctx context.Context, s Secret) (bool, error) {
	out, err := c.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.Name)})
	if err != nil {
		return false, c.secretErr(s.Name, err)
	}
	var have, want any
	if json.Unmarshal([]byte(aws.ToString(out.SecretString)), &have) != nil {
		return false, nil
	}
	if err := json.Unmarshal([]byte(s.Value), &want); err != nil {
		return false, fmt.Errorf("secret %s: the desired value is not JSON", s.Name)
	}
	return reflect.DeepEqual(have, want), nil
}

// secretErr names the secret and never its value.
func (c *Clients) secretErr(name string, err error) error {
	return fmt.Errorf("Secrets Manager secret %s in %s: %w", name, c.Region, Explain(err))
}

func tagsOf(m map[string]string) []smtypes.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]smtypes.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, smtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// tagsHeld reports whether every wanted tag is set with its value.
func tagsHeld(have []smtypes.Tag, want map[string]string) bool {
	got := map[string]string{}
	for _, t := range have {
		got[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
