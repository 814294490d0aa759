import assert from 'node:assert/strict';
import { ContainerContext, GoStruct, renderRows, renderTemplate } from '../src/index.js';

class Row extends GoStruct {
  readonly goTypeName = '*test.Row';
  constructor(private readonly name: string) {
    super();
  }
  Name(): string {
    return this.name;
  }
  Tags(): string[] {
    return ['a', 'b'];
  }
  Greet(who: string): string {
    return `hi ${who} from ${this.name}`;
  }
  Label(name: string): string {
    return `label:${name}`;
  }
  secret(): string {
    return 'hidden';
  }
}

const data = {
  Name: 'web',
  Count: 3,
  Empty: '',
  List: ['x', 'y', 'z'],
  Map: { b: '2', a: '1' },
  Nested: { Inner: { Value: 'deep' } },
  Yes: true,
  Zero: 0,
  EmptyList: [],
};

describe('format/template', () => {
  const cases: [string, string][] = [
    ['plain text', 'plain text'],
    ['{{.Name}}', 'web'],
    ['{{.Nested.Inner.Value}}', 'deep'],
    ['{{.Missing}}', '<no value>'],
    ['{{json .}}', '{"Count":3,"Empty":"","EmptyList":[],"List":["x","y","z"],"Map":{"a":"1","b":"2"},"Name":"web","Nested":{"Inner":{"Value":"deep"}},"Yes":true,"Zero":0}'],
    ['{{json .List}}', '["x","y","z"]'],
    ['{{json .Name}}', '"web"'],
    ['{{.List}}', '[x y z]'],
    ['{{.Map}}', 'map[a:1 b:2]'],
    ['{{join .List ", "}}', 'x, y, z'],
    ['{{upper .Name}} {{lower "ABC"}} {{title "hello big-world"}}', 'WEB abc Hello Big-World'],
    ['{{split "a:b:c" ":"}}', '[a b c]'],
    ['{{truncate "abcdef" 3}}|{{truncate "ab" 3}}', 'abc|ab'],
    ['[{{pad .Name 2 1}}][{{pad .Empty 2 1}}]', '[  web ][]'],
    ['{{printf "%s-%d" .Name .Count}}', 'web-3'],
    ['{{.Name | printf "%q"}}', '"web"'],
    ['{{println .Name}}', 'web\n'],
    ['{{len .List}} {{len .Name}} {{len .Map}}', '3 3 2'],
    ['{{index .List 1}} {{index .Map "b"}} {{index .Nested "Inner"}}', 'y 2 map[Value:deep]'],
    ['{{range .List}}<{{.}}>{{end}}', '<x><y><z>'],
    ['{{range $i, $v := .List}}{{$i}}={{$v}} {{end}}', '0=x 1=y 2=z '],
    ['{{range $k, $v := .Map}}{{$k}}:{{$v}};{{end}}', 'a:1;b:2;'],
    ['{{range .EmptyList}}x{{else}}none{{end}}{{range .Missing}}x{{else}}-none{{end}}{{range 3}}{{.}}{{end}}', 'none-none012'],
    ['{{if .Yes}}y{{else}}n{{end}}{{if .Zero}}y{{else}}n{{end}}{{if .Empty}}y{{end}}', 'yn'],
    ['{{if eq .Count 1}}one{{else if eq .Count 3}}three{{else}}many{{end}}', 'three'],
    ['{{if and .Yes .Name}}both{{end}} {{if or .Zero .Empty}}x{{else}}neither{{end}} {{if not .Zero}}notzero{{end}}', 'both neither notzero'],
    ['{{if ne .Name "db"}}ne{{end}} {{if lt .Count 5}}lt{{end}} {{if ge .Count 3}}ge{{end}}', 'ne lt ge'],
    ['{{with .Nested.Inner}}{{.Value}}{{end}}{{with .Empty}}x{{else}}empty{{end}}', 'deepempty'],
    ['{{$n := .Name}}{{range .List}}{{$n}}{{.}} {{end}}', 'webx weby webz '],
    ['{{$.Name}}{{range .List}}{{$.Count}}{{end}}', 'web333'],
    ['a {{- " b " -}} c', 'a b c'],
    ['a  {{- /* comment */ -}}  b', 'ab'],
    ['{{"quoted\\tstring"}} {{`raw\\t`}} {{42}} {{true}} {{nil}}', 'quoted\tstring raw\\t 42 true <nil>'],
    ['{{(index .List 0)}}{{(.Nested.Inner).Value}}', 'xdeep'],
  ];
  for (const [src, want] of cases) it(src, () => assert.equal(renderTemplate(src, data), want));

  it('calls methods on struct contexts, with arguments', () => {
    const r = new Row('n1');
    assert.equal(renderTemplate('{{.Name}} {{.Tags}} {{.Greet "bob"}} {{join .Tags "+"}}', r), 'n1 [a b] hi bob from n1 a+b');
    assert.equal(renderTemplate('{{json .}}', r), '{"Name":"n1","Tags":["a","b"]}');
  });

  it("fails like Go's text/template", () => {
    const r = new Row('n1');
    assert.throws(() => renderTemplate('{{.Nope}}', r), /template: :1:2: executing "" at <\.Nope>: can't evaluate field Nope in type \*test\.Row/);
    assert.throws(() => renderTemplate('{{.secret}}', r), /secret is an unexported field of struct type \*test\.Row/);
    assert.throws(() => renderTemplate('{{nosuch .Name}}', r), /function "nosuch" not defined/);
    assert.throws(() => renderTemplate('{{if .Name}}x', r), /unexpected EOF/);
    assert.throws(() => renderTemplate('{{end}}', r), /unexpected \{\{end\}\}/);
    assert.throws(() => renderTemplate('{{.Name', r), /unclosed action/);
    assert.throws(() => renderTemplate('{{$x}}', r), /undefined variable: \$x/);
    assert.throws(() => renderTemplate('{{index .Tags 5}}', r), /index out of range/);
    assert.throws(() => renderTemplate('{{range .Name}}{{end}}', r), /range can't iterate over n1/);
  });

  it('tables render the header with header functions and align columns', () => {
    const rows = [new Row('alpha'), new Row('a-much-longer-name')];
    assert.equal(
      renderRows('table {{upper .Name}}\\t{{json .Tags}}\\t{{.Label "com.example.some-key"}}', rows, { Name: 'NAME', Tags: 'TAGS' }),
      'NAME                 TAGS        some key\nALPHA                ["a","b"]   label:com.example.some-key\nA-MUCH-LONGER-NAME   ["a","b"]   label:com.example.some-key\n',
    );
  });

  it('escapes <, > and & in {{json .}} of a row, as docker does', () => {
    const row = new ContainerContext(
      { Id: 'x'.repeat(64), Created: 0, Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 81, Type: 'tcp' }], Names: ['/a&b'] },
      { trunc: true, nowMs: 0 },
    );
    const json = renderTemplate('{{json .}}', row);
    assert.match(json, /"Ports":"0\.0\.0\.0:81-\\u003e80\/tcp"/);
    assert.match(json, /"Names":"a\\u0026b"/);
    assert.equal(renderTemplate('{{json .Ports}}', row), '"0.0.0.0:81->80/tcp"');
  });
});
