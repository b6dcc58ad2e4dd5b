import Testing

@testable import VLogTemplate

/// vlog's Mustache engine, checked against the Mustache spec's rules (interpolation, sections,
/// inverted sections, comments, partials, delimiters, inheritance, standalone lines).
@Suite struct TemplateTests {
    func render(_ template: String, _ data: TemplateValue = [:], partials: [String: String] = [:]) throws -> String {
        let lib = TemplateLibrary()
        for (name, source) in partials { try lib.register(source, named: name) }
        try lib.register(template, named: "main")
        return String(decoding: try lib.render("main", data), as: UTF8.self)
    }

    @Test func interpolationEscapesHTMLUnlessTriple() throws {
        let data: TemplateValue = ["t": "<b>\"Tom\" & 'Jerry'</b>", "n": 42]
        #expect(
            try render("{{t}}|{{{t}}}|{{& t}}|{{ n }}", data)
                == "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;|<b>\"Tom\" & 'Jerry'</b>|<b>\"Tom\" & 'Jerry'</b>|42"
        )
        #expect(try render("[{{missing}}][{{a.b.c}}]", ["a": ["b": [:]]]) == "[][]")
        #expect(try render("Ünïcödé {{x}} ✓", ["x": "é<"]) == "Ünïcödé é&lt; ✓")
    }

    @Test func sectionsListsObjectsAndFalseyValues() throws {
        let data: TemplateValue = [
            "list": [["n": 1], ["n": 2], ["n": 3]], "obj": ["name": "Ann"], "yes": true, "no": false,
            "empty": "", "zero": 0, "none": [], "names": ["a", "b"],
        ]
        #expect(try render("{{#list}}{{n}},{{/list}}", data) == "1,2,3,")
        #expect(try render("{{#obj}}Hi {{name}}{{/obj}}", data) == "Hi Ann")
        #expect(
            try render(
                "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{#empty}}E{{/empty}}{{#zero}}Z{{/zero}}{{#none}}L{{/none}}{{#nothing}}X{{/nothing}}",
                data) == "Y")
        #expect(
            try render(
                "{{^no}}a{{/no}}{{^empty}}b{{/empty}}{{^none}}c{{/none}}{{^nothing}}d{{/nothing}}{{^yes}}e{{/yes}}{{^list}}f{{/list}}",
                data) == "abcd")
        #expect(try render("{{#names}}<{{.}}>{{/names}}", data) == "<a><b>")
        // Names resolve outwards through the context stack; a dotted name's rest only inside what it found.
        #expect(try render("{{#obj}}{{name}} in {{#list}}{{n}}{{/list}}{{/obj}}", data) == "Ann in 123")
        #expect(try render("{{#a}}{{b.c}}{{/a}}", ["a": ["b": [:]], "b": ["c": "ERROR"]]) == "")
        #expect(try render("{{#obj.name}}{{.}}{{/obj.name}}", data) == "Ann")
    }

    @Test func recordsRenderLikeObjects() throws {
        // A list of records (a transcript's rows) shares one key list; names not in a row
        // resolve outwards as they do from an object, and a dotted name goes inside a record.
        let keys = ["time", "text"]
        let rows: TemplateValue = .list([
            .record(TemplateRecord(keys: keys, values: ["0:00", "<hi>"])),
            .record(TemplateRecord(keys: keys, values: ["0:04", ["who": "Ann"]])),
        ])
        let data: TemplateValue = ["rows": rows, "site": "S"]
        #expect(
            try render("{{#rows}}[{{time}} {{text}} {{text.who}} {{site}}]{{/rows}}", data)
                == "[0:00 &lt;hi&gt;  S][0:04  Ann S]")
        #expect(try render("{{#rows}}{{^missing}}-{{/missing}}{{/rows}}", data) == "--")
    }

    @Test func standaloneLinesLeaveNoBlankLines() throws {
        let template = "<ul>\n  {{#items}}\n  <li>{{.}}</li>\n  {{/items}}\n  {{! a comment }}\n</ul>\n"
        #expect(try render(template, ["items": ["a", "b"]]) == "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n")
        #expect(try render("| {{#t}} {{/t}} |", ["t": true]) == "|   |", "not standalone: spaces stay")
        #expect(try render("a\r\n{{#t}}\r\nb\r\n{{/t}}\r\n", ["t": true]) == "a\r\nb\r\n")
        #expect(try render("  {{#t}}\nx{{/t}}", ["t": true]) == "x", "standalone at the start of the template")
    }

    @Test func partialsAreLookedUpByNameAndIndentedWhenStandalone() throws {
        let partials = ["item": "<{{name}}>\n", "twolines": "one\ntwo\n"]
        #expect(
            try render(
                "{{#people}}{{>item}}{{/people}}", ["people": [["name": "a"], ["name": "b"]]], partials: partials)
                == "<a>\n<b>\n")
        #expect(try render("<div>\n  {{> twolines}}\n</div>", partials: partials) == "<div>\n  one\n  two\n</div>")
        #expect(try render("[{{> nowhere}}]") == "[]", "a missing partial renders as nothing")
    }

    @Test func setDelimiters() throws {
        #expect(try render("{{=<% %>=}}<% x %> {{x}} <%={{ }}=%>{{x}}", ["x": "1"]) == "1 {{x}} 1")
    }

    @Test func inheritanceOverridesBlocksFromTheMostDerivedTemplate() throws {
        let partials = [
            "base": "<title>{{$title}}Default{{/title}}</title>{{$body}}nothing{{/body}}",
            "mid": "{{<base}}{{$title}}Mid{{/title}}{{$body}}mid body{{/body}}{{/base}}",
            "nest": "{{#nested}}{{$block}}You say {{fruit}}.{{/block}}{{/nested}}",
        ]
        #expect(try render("{{<base}}{{/base}}", partials: partials) == "<title>Default</title>nothing")
        #expect(
            try render("{{<base}}ignored text{{$title}}Mine {{x}}{{/title}}{{/base}}", ["x": "&"], partials: partials)
                == "<title>Mine &amp;</title>nothing")
        #expect(
            try render("{{<mid}}{{$title}}Top{{/title}}{{/mid}}", partials: partials) == "<title>Top</title>mid body")
        #expect(try render("{{<mid}}{{/mid}}", partials: partials) == "<title>Mid</title>mid body")
        // An override renders where the block is, in that place's context.
        #expect(
            try render(
                "{{<nest}}{{$block}}I say {{fruit}}.{{/block}}{{/nest}}",
                ["fruit": "apples", "nested": ["fruit": "bananas"]], partials: partials) == "I say bananas.")
        #expect(try render("{{$x}}plain default{{/x}}") == "plain default")
    }

    @Test func mistakesAreReportedWithTheirLine() throws {
        func message(_ t: String) -> String {
            do {
                _ = try render(t)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(message("a\n{{#open}}\nb") == "line 2: {{#open}} is never closed")
        #expect(message("{{#a}}\n{{/b}}") == "line 2: {{/b}} closes nothing ({{#a}} is still open)")
        #expect(message("x\ny {{name") == "line 2: a tag is opened but never closed")
        #expect(message("{{a..b}}") == "line 1: 'a..b' is not a valid name")
        #expect(message("{{=<% =}}") == "line 1: set delimiters as {{=<% %>=}}: two delimiters without '='")
        #expect(message("{{> loop}}").contains("no error"))
        let lib = TemplateLibrary()
        try lib.register("again {{> loop}}", named: "loop")
        #expect(throws: TemplateError.self) { try lib.render("loop", [:]) }
    }
}
