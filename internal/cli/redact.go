package cli

import "io"

// redactingWriter masks known secret values in everything written through
// it. Each Write is masked whole: callers write complete lines or documents.
type redactingWriter struct {
	w io.Writer
	g *Global
}

func (r *redactingWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(r.w, r.g.Redact(string(b))); err != nil {
		return 0, err
	}
	return len(b), nil
}
