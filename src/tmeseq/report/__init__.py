"""The self-contained HTML report of one cohort (``results/<cohort>/report.html``).

A finished result tree is read into typed data, turned into rows of text for reading, and
rendered with Jinja2 (autoescape on) into one HTML file that needs nothing else: CSS,
JavaScript, images and data are inline, so it opens offline without a single request.

Modules, one concern each:

- :mod:`~tmeseq.report.context`: the result files of a run, read into typed data.
- :mod:`~tmeseq.report.sections`: the rows and texts each section shows, numbers formatted
  through :mod:`tmeseq.formatting`.
- :mod:`~tmeseq.report.sentences`: one sentence per contrast, generated from the TME table.
- :mod:`~tmeseq.report.methods`: the methods paragraph and its references.
- :mod:`~tmeseq.report.provenance`: config as run, software versions, SHA-256 of the files.
- :mod:`~tmeseq.report.svg`: the interactive volcano, scatter and box plots as inline SVG.
- :mod:`~tmeseq.report.images`: PNG figures as compact ``data:`` URIs.
- :mod:`~tmeseq.report.render`: the Jinja2 environment, the escaped JSON blocks, the timestamp.
"""
