"""seed_bands.py: presets trained once per seed, labelled, and drawn as bands."""
from seq2seq_lab import compare, preset
from seq2seq_lab.seed_bands import bands, train_seeds

NAMES = {"plain": "lesson_06_overfit", "regularised": "lesson_06_regularised"}


def test_train_seeds_labels_each_run_and_equals_compare():
    runs = train_seeds(NAMES, seeds=[0, 1], fast=True)
    assert [(h.label, h.seed) for h in runs] == [("plain", 0), ("plain", 1),
                                                 ("regularised", 0), ("regularised", 1)]
    assert runs[2].config == preset("lesson_06_regularised", fast=True).config
    chosen = preset("lesson_06_overfit", fast=True)
    alone = compare(chosen.config, task=chosen.task, task_options=chosen.task_options,
                    seeds=[1], workers=0)[0]
    assert alone.val_loss == runs[1].val_loss and alone.train_loss == runs[1].train_loss


def test_bands_draws_a_png_for_each_theme_and_language():
    runs = train_seeds(["lesson_06_overfit"], seeds=[0, 1], fast=True)
    assert runs[0].label == "lesson_06_overfit"
    for theme, language in (("notebook", "en"), ("projector", "ko")):
        image = bands(runs, theme=theme, language=language)
        assert image.data[:8] == b"\x89PNG\r\n\x1a\n" and len(image.data) > 10_000
