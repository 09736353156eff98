"""The live widgets of the lessons: ``Lab`` (sliders, Train, Stop) and ``Compare`` (several
settings side by side), and the machinery under them.

Lessons: 01-09 (every live figure).  A lesson imports ``Lab`` and ``Compare`` from the package
top (``from seq2seq_lab import Lab``); these modules are where they live:

- ``lab`` (``Lab``) and ``compare`` (``Compare``): the two widgets
- ``panel``: what both share: layout, buttons, messages, the run list, exports
- ``figure``: the live figure, drawn to PNG frames
- ``live``: the threads (training, drawing), the result cache, torch's thread count
- ``controls``: sliders and dropdowns built from the config's metadata
- ``exports``: PNG, CSV and HTML files a learner saves
- ``question`` (``Question``): a checked "predict first" question, shown beside a Lab's runs
- ``sensitivity`` (``Sensitivity``): each hyperparameter changed alone, rows filling in live
- ``search`` (``Search``): a hyperparameter search, trials filling in live (lesson 09)
- ``language`` (``language_switch``): English or Korean for the widgets built after it
"""
