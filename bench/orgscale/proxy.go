package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// proxy sits in front of moto and makes it look like a remote AWS: every
// HTTP request waits delay before it is forwarded, with no bound on how many
// wait at once (AWS serves calls in parallel). It counts every call by
// operation and by account, and keeps a timeline for the diagnosis.
//
// moto itself answers one call at a time (one Python process), 10 to 30 ms
// each: with replay, a request already answered once (same account,
// operation and body: every call of a read-only audit after the warm-up)
// gets moto's answer again without asking moto, so each call costs the
// delay alone, however many are in flight, as on AWS.
type proxy struct {
	URL     string
	central string // the account of the static test credentials
	replay  bool
	cache   map[string]*cached

	mu    sync.Mutex
	delay time.Duration
	stats *stats
	keys  map[string]string // assumed-role access key -> account, for every run
	srv   *http.Server
}

// cached is an answer of moto's.
type cached struct {
	status int
	header http.Header
	body   []byte
}

// call is one AWS call as the proxy saw it.
type call struct {
	Op       string // "rds.DescribeDBInstances"
	Account  string
	Region   string
	Role     string        // the account whose role an AssumeRole assumes
	Start    time.Duration // since the run began
	End      time.Duration
	Status   int
	ReqBytes int
	Replayed bool
}

// stats are one run's calls.
type stats struct {
	began    time.Time
	calls    []call
	assume   map[string]int // STS AssumeRole by the account of the role assumed
	inflight int
	peak     int
}

type ctxKey struct{}

// info travels with a request to its response.
type info struct {
	op, account, region, roleAccount string
	start                            time.Duration
	reqBytes                         int
}

var (
	credScope   = regexp.MustCompile(`Credential=([^/]+)/\d+/([^/]+)/([^/]+)/`)
	accessKeyRe = regexp.MustCompile(`<AccessKeyId>([^<]+)</AccessKeyId>`)
)

func startProxy(target, central string, replay bool) (*proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{URL: "http://" + l.Addr().String(), central: central, replay: replay, cache: map[string]*cached{},
		keys: map[string]string{}, stats: newStats()}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{Proxy: nil, MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	rp.ModifyResponse = p.response
	p.srv = &http.Server{Handler: p.handler(rp), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

func newStats() *stats { return &stats{began: time.Now(), assume: map[string]int{}} }

// Reset starts a new run with the given delay and returns the previous one.
func (p *proxy) Reset(delay time.Duration) *stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.stats
	p.stats, p.delay = newStats(), delay
	return old
}

func (p *proxy) Close() { _ = p.srv.Close() }

func (p *proxy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))

		in := info{reqBytes: len(body)}
		service, key := "?", ""
		if m := credScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			key, in.region, service = m[1], m[2], m[3]
		}
		action := ""
		if t := r.Header.Get("X-Amz-Target"); t != "" {
			action = t[strings.LastIndex(t, ".")+1:]
		} else if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
			action = form.Get("Action")
			if action == "AssumeRole" {
				if parts := strings.Split(form.Get("RoleArn"), ":"); len(parts) > 4 {
					in.roleAccount = parts[4]
				}
			}
		} else if action = r.URL.Query().Get("Action"); action == "" {
			action = restOp(r.Method, r.URL.Path)
		}
		in.op = service + "." + action

		p.mu.Lock()
		st, delay := p.stats, p.delay
		switch {
		case r.Header.Get("x-moto-account-id") != "":
			in.account = r.Header.Get("x-moto-account-id")
		case p.keys[key] != "":
			in.account = p.keys[key]
		default:
			in.account = p.central
		}
		in.start = time.Since(st.began)
		st.inflight++
		st.peak = max(st.peak, st.inflight)
		if in.roleAccount != "" {
			st.assume[in.roleAccount]++
		}
		p.mu.Unlock()

		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
		// Who (account), where (region, from the signature's scope), what.
		ck := strings.Join([]string{in.account, in.region, in.op, r.Method, r.URL.RequestURI(), r.Header.Get("X-Amz-Target"),
			string(body)}, "\x00")
		p.mu.Lock()
		hit := p.cache[ck]
		p.mu.Unlock()
		status := http.StatusOK
		if hit != nil {
			for k, v := range hit.header {
				w.Header()[k] = v
			}
			w.WriteHeader(hit.status)
			_, _ = w.Write(hit.body)
			status = hit.status
		} else {
			rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			if p.replay {
				rec.body = &bytes.Buffer{}
			}
			next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &in)))
			status = rec.status
			if p.replay && rec.status == http.StatusOK {
				p.mu.Lock()
				p.cache[ck] = &cached{status: rec.status, header: w.Header().Clone(), body: rec.body.Bytes()}
				p.mu.Unlock()
			}
		}

		p.mu.Lock()
		st.inflight--
		st.calls = append(st.calls, call{Op: in.op, Account: in.account, Region: in.region, Role: in.roleAccount, Start: in.start,
			End: time.Since(st.began), Status: status, ReqBytes: in.reqBytes, Replayed: hit != nil})
		p.mu.Unlock()
	})
}

// response learns which account an assumed-role access key belongs to, so
// later calls made with it are counted for that account.
func (p *proxy) response(resp *http.Response) error {
	in, _ := resp.Request.Context().Value(ctxKey{}).(*info)
	if in == nil || in.roleAccount == "" || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if m := accessKeyRe.FindSubmatch(body); m != nil {
		p.mu.Lock()
		p.keys[string(m[1])] = in.roleAccount
		p.mu.Unlock()
	}
	return nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
	body   *bytes.Buffer // a copy of what is written, when set
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.body != nil {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// restOp names a REST call (Scheduler's) by its method and path, the
// path's parameters elided: "GET /schedules/{}".
func restOp(method, path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 1; i < len(parts); i++ {
		parts[i] = "{}"
	}
	return method + " /" + strings.Join(parts, "/")
}
