// Command baseline is the yardstick of Switchboard's webhook benchmarks: a
// minimal net/http server that parses the same form and writes a fixed
// TwiML document of the same size, optionally validating the Twilio
// signature with twilio-go's RequestValidator exactly as Switchboard does.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/twilio/twilio-go/client"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	validate := flag.Bool("validate", false, "validate X-Twilio-Signature")
	token := flag.String("token", "", "auth token")
	public := flag.String("public", "", "public base URL signed by the client")
	size := flag.Int("size", 1200, "bytes of TwiML to write")
	flag.Parse()
	doc := fixedDoc(*size)
	v := client.NewRequestValidator(*token)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.PostForm.Get("CallSid") == "" {
			http.Error(w, "missing CallSid", http.StatusBadRequest)
			return
		}
		if *validate {
			params := make(map[string]string, len(r.PostForm))
			for k, vs := range r.PostForm {
				params[k] = vs[0]
			}
			if !v.Validate(*public+r.URL.RequestURI(), params, r.Header.Get("X-Twilio-Signature")) {
				http.Error(w, "invalid signature", http.StatusForbidden)
				return
			}
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write(doc)
	})
	fmt.Fprintln(os.Stdout, "listening")
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// fixedDoc is a TwiML document of about size bytes.
func fixedDoc(size int) []byte {
	head := `<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf speech" action="https://phone.example.org/twilio/menu?n=0" method="POST" timeout="4"><Say voice="Polly.Joanna" language="en-US">`
	tail := `</Say></Gather><Redirect method="POST">https://phone.example.org/twilio/menu?n=0</Redirect></Response>`
	fill := size - len(head) - len(tail)
	if fill < 0 {
		fill = 0
	}
	return []byte(head + strings.Repeat("x", fill) + tail)
}
