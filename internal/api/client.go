package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Client calls the staff API of a running Switchboard; the CLI uses it.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// NewClient returns a client for the Switchboard at base with a staff token.
func NewClient(base, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Client{base: base, token: token, http: hc}
}

// StatusError is an API answer other than 2xx.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Code, http.StatusText(e.Code), e.Message)
}

func (c *Client) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var eb errorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
			eb.Error = string(bytes.TrimSpace(data))
		}
		return &StatusError{Code: resp.StatusCode, Message: eb.Error}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// List returns one page of requests with a status and the next cursor.
func (c *Client) List(ctx context.Context, status string, limit int, cursor string) ([]*View, string, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var out listResponse
	if err := c.do(ctx, http.MethodGet, "/api/v1/callbacks?"+q.Encode(), nil, &out); err != nil {
		return nil, "", err
	}
	return out.Callbacks, out.Next, nil
}

// Get returns one request.
func (c *Client) Get(ctx context.Context, id string) (*View, error) {
	var r View
	return &r, c.do(ctx, http.MethodGet, "/api/v1/callbacks/"+url.PathEscape(id), nil, &r)
}

// Action posts to /api/v1/callbacks/{id}/{action} with an optional body.
func (c *Client) Action(ctx context.Context, id, action string, body any) (*View, error) {
	var r View
	return &r, c.do(ctx, http.MethodPost, "/api/v1/callbacks/"+url.PathEscape(id)+"/"+action, body, &r)
}

// Reveal returns the full callback number of a request the token's holder
// has claimed; the reveal is written to its history.
func (c *Client) Reveal(ctx context.Context, id string) (string, error) {
	var r revealResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/callbacks/"+url.PathEscape(id)+"/reveal", nil, &r)
	return r.CallbackNumber, err
}
