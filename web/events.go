package web

import "github.com/redset/redset/api"

// eventViewOf describes one event for the timeline. The words and the tone
// come with the event from the API (api.Event's Label, Text and Tone), so
// the server-rendered page, the live script and the CLI say the same.
func eventViewOf(e api.Event) eventView {
	v := eventView{Seq: e.Seq, Time: e.Time, Kind: e.Kind, SetID: e.SetID, Label: e.Label, Text: e.Text, Tone: e.Tone}
	if v.Label == "" {
		v.Label = e.Kind
	}
	if v.Tone == "" {
		v.Tone = api.ToneInfo
	}
	return v
}
