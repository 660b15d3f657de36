import sys, zipfile, json, time, re
sys.path.insert(0, '/work/main')
import nbformat
from grading import trusted
name = sys.argv[1]; which = sys.argv[2] if len(sys.argv) > 2 else 'solution'
zf = zipfile.ZipFile(f'/work/main/_build/exercises/{name}/{name}-autograder.zip')
tests = {n[6:-3]: zf.read(n).decode() for n in sorted(zf.namelist()) if re.fullmatch(r'tests/q\d+\.py', n)}
nb = nbformat.read(f'/work/main/_build/exercises/{name}/{which}/{name}.ipynb', as_version=4)
cells = [(i, c.source) for i, c in enumerate(nb.cells, 1) if c.cell_type == 'code']
if len(sys.argv) > 3: cells.append((999, open(sys.argv[3]).read()))
from grading.grade import load_references
refs = load_references().get(name, {})
t = time.time()
rec = trusted.grade_cells(cells, tests, refs, slot=0, timeout=120, cell_timeout=60)
print(round(time.time() - t, 1), 's')
for q, r in rec['questions'].items():
    print(q, r['score'], '/', r['possible'], [p['passed'] for p in r['public']], r['hidden'], r.get('tripped'), r.get('error'), [p['message'][:300] for p in r['public'] if not p['passed']])
print({k: v for k, v in rec.items() if k not in ('questions', 'log')})
print('LOG', rec['log'][-1500:])
