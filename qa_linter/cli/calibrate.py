"""`qa-lint calibrate`: the rules' findings against human labels, precision, recall and F1 per category."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import (
    EXIT_ERROR, UserError, json_text, load_rules, make_run, safe, stderr_console, user_errors, with_rule_options,
)


@click.command("calibrate")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--gold", type=click.Path(exists=True, dir_okay=False), help="Human labels (JSON Lines, see README) for PATHS.")
@click.option("--set", "sets", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="A labelled set: a folder with transcripts.jsonl and labels.jsonl. Repeat to compare sets side by side.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--show-errors", is_flag=True, help="List every false positive and miss, grouped by rule, with the condition that decided it "
              "(and, for a reply, the turn it answers).")
@click.option("--intervals", is_flag=True,
              help="Give each F1 a 95%% interval: the product lines (teams) drawn again 2,000 times, so the range "
                   "shows how much F1 may move on other product lines like these.")
@click.option("--agreement", "second_labels", type=click.Path(exists=True, dir_okay=False),
              help="A second reviewer's labels (JSON Lines, as --gold) for some of the same conversations: how far "
                   "the two reviewers agree per category, beside the rules' F1 against each of them.")
@click.option("--train-audience", type=click.Path(dir_okay=False, writable=True),
              help="Instead of scoring: learn which customer words show a technical customer from the sets' "
                   "meta.customer (technical / non-technical) and write the weights to FILE (a lexicon for "
                   "jargon's technical_customer.model).")
@click.option("--train-trigger", type=click.Path(dir_okay=False, writable=True),
              help="Instead of scoring: learn which turns set off the one sequence rule chosen with --select (its "
                   "trigger.model) from the labels of its category, and write the weights to FILE.")
@click.option("--train-required", type=click.Path(dir_okay=False, writable=True),
              help="Instead of scoring: learn which messages meet the one required rule chosen with --select (its "
                   "model: a way of asking no pattern holds) from the labels of its category, and write the "
                   "weights to FILE.")
@click.option("--train-veto", type=click.Path(dir_okay=False, writable=True),
              help="Instead of scoring: learn which messages the phrases and regex rules of one category chosen "
                   "with --select report wrongly (their model's veto) from the labels of that category, and write "
                   "the weights to FILE.")
@with_rule_options
def command(paths, gold, sets, fmt, show_errors, intervals, second_labels, train_audience, train_trigger,
            train_required, train_veto, **rule_options):
    """Compare findings with human labels: precision, recall and F1 per category."""
    from ..calibration import LabelError, f1_intervals, read_set, render_agreement, render_sets, render_text

    if bool(paths) == bool(sets) or bool(paths) != bool(gold):
        raise click.UsageError("give PATHS with --gold LABELS, or one or more --set FOLDER")
    if second_labels and (len(sets) > 1 or train_audience):
        raise click.UsageError("--agreement compares a second reviewer with one labelled input: PATHS with --gold, "
                               "or one --set")
    if sum(bool(option) for option in (train_audience, train_trigger, train_required, train_veto)) > 1:
        raise click.UsageError("--train-audience, --train-trigger, --train-required and --train-veto write one model "
                               "each: give one")
    if train_trigger or train_required or train_veto:
        try:
            named = [read_set(Path(p)) for p in sets] if sets else [(paths, Path(gold))]
        except LabelError as exc:
            raise UserError(str(exc)) from None
        if train_trigger:
            _train_trigger(named, Path(train_trigger), rule_options)
        elif train_veto:
            _train_veto(named, Path(train_veto), rule_options)
        else:
            _train_required(named, Path(train_required), rule_options)
        return
    if train_audience:
        _train_audience(paths or [read_set(Path(p))[0] for p in sets], Path(train_audience), rule_options)
        return
    try:
        named = [(str(p), read_set(Path(p))) for p in sets] if sets else [("labels", (paths, Path(gold)))]
    except LabelError as exc:
        raise UserError(str(exc)) from None
    with user_errors():
        run = make_run(**rule_options, jobs=1)
        load_rules(run)
        results, failed, agreed = [], False, None
        for name, (inputs, labels_path) in named:
            result, problems, agreed = _calibrate_one(run, inputs if isinstance(inputs, tuple) else (str(inputs),),
                                                      labels_path, show_errors, second_labels)
            if intervals:
                result.intervals = f1_intervals(result)
            results.append((Path(name).name if sets else name, result))
            failed = failed or problems
    if fmt == "json":
        doc = results[0][1].to_dict() if not sets else {"sets": [{"name": n, **r.to_dict()} for n, r in results]}
        if agreed is not None:
            doc["agreement"] = agreed.to_dict()
        click.echo(json_text(doc))
    else:
        for name, result in results:
            if sets:
                click.echo(f"== {name}")
            click.echo(safe(render_text(result, show_errors), lines=True))
            if sets:
                click.echo("")
        if len(results) > 1:
            click.echo(safe(render_sets(results), lines=True))
        if agreed is not None:
            if not sets:
                click.echo("")
            click.echo(safe(render_agreement(agreed), lines=True))
    if failed:
        sys.exit(EXIT_ERROR)


def _calibrate_one(run, paths, gold, show_errors, second_labels=None):
    """Scan one labelled input and compare, and with `second_labels` compare a second reviewer too (an
    Agreement, else None); problems are printed in the summary on stderr."""
    from ..batch import ScanSummary
    from ..calibration import LabelError, agreement, calibrate, categories_of, explain_errors, read_labels
    from ..outputs.text import print_summary

    try:
        labels = read_labels(Path(gold))
        second = read_labels(Path(second_labels)) if second_labels else None
    except LabelError as exc:
        raise UserError(str(exc)) from None
    linter = run.linter
    summary = ScanSummary()
    scanned = list(run.scan(run.read(paths), summary))
    categories = categories_of(linter.rules)
    result = calibrate(scanned, labels, categories)
    agreed = None
    if second is not None:
        agreed = agreement([(conv, f) for conv, f in scanned if conv is not None], labels, second, categories)
        if not agreed.conversations:
            raise UserError(f"{second_labels}: none of its conversations is labelled in {gold} and scanned: "
                            "--agreement needs a second reviewer's labels of the same conversations")
    if show_errors:
        explain_errors(linter, result, {conv.id: conv for conv, _ in scanned if conv is not None})
    summary.finish(linter)
    if summary.skipped_count or summary.rule_problems:
        print_summary(stderr_console(), summary, quiet=True)
        return result, True, agreed
    return result, False, agreed


# Pieces of the audience model weighing under 0.05 either way are left out: on the dev set's tuning part, with models
# learnt without each fold of teams (5 folds), jargon F1 0.9129 against 0.9136 with all of them (measured with Latin
# slices as pieces, the form before this one), from a third of the pieces (docs/accuracy.md).
AUDIENCE_MIN_WEIGHT = 0.05


def _train_audience(paths, out: Path, rule_options) -> None:
    """Fit the customer-audience model on the labelled conversations and write its weights."""
    from ..analysis import ConversationView
    from ..audience import Example, cross_validate, customer_pieces, train
    from ..model import Conversation, InputProblem

    with user_errors():
        run = make_run(**rule_options, jobs=1)
        load_rules(run)
        toolkit = run.linter.pack.toolkit
        examples = []
        skipped = 0
        for conv in run.read([str(p) for p in paths]):
            if isinstance(conv, InputProblem):
                click.echo(safe(f"{conv.where()}: {conv.reason} (skipped)"), err=True)
                skipped += 1
                continue
            if not isinstance(conv, Conversation):
                continue
            customer = (conv.meta or {}).get("customer")
            if customer not in ("technical", "non-technical"):
                continue
            view = ConversationView(conv, toolkit)
            group = conv.team or str((conv.meta or {}).get("product") or "")
            examples.append(Example(group, customer_pieces(view.messages), customer == "technical"))
    groups = {ex.group for ex in examples}
    if len(groups) < 5:
        raise UserError(f"--train-audience needs conversations with meta.customer from at least 5 teams or product "
                        f"lines (found {len(examples)} conversations, {len(groups)} teams)")
    accuracy, _ = cross_validate(examples)
    model = train(examples, min_weight=AUDIENCE_MIN_WEIGHT)
    technical = sum(ex.positive for ex in examples)
    header = (f"customer-audience.txt - how much each piece a customer writes shows a technical customer (feeds\n"
              f"  jargon-unexplained: technical_customer.model). Written by qa-lint calibrate --train-audience from\n"
              f"  {len(examples)} labelled conversations ({technical} technical) of {len(groups)} teams; pieces seen in\n"
              f"  fewer than 3 teams, or weighing under {AUDIENCE_MIN_WEIGHT} either way, are left out. Accuracy on teams\n"
              f"  left out of training: {accuracy:.3f}.\n"
              f"Fields: piece<TAB>weight (log-odds); (bias) is the intercept.")
    _write_weights(out, model, header)
    click.echo(f"{len(examples)} conversations ({technical} technical) of {len(groups)} teams: "
               f"accuracy on teams left out {accuracy:.3f}; {len(model.weights)} pieces written to {out}"
               + (f"; {skipped} records skipped" if skipped else ""))
    if skipped:
        sys.exit(EXIT_ERROR)  # as scan and calibrate do when input was skipped


def _write_weights(out: Path, model, header: str) -> None:
    """A learnt model as a weights lexicon (--train-audience, --train-trigger)."""
    from ..outputs.html_common import atomic_write_text

    try:
        atomic_write_text(out, model.to_text(header))
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None


# The descent of the trigger model: 300 rounds, the fit whose cross-validated figures chose the built-in threshold
# (docs/accuracy.md, "A learned trigger"). Pieces weighing under 0.1 either way are left out: on the tuning parts'
# folds the same F1 with an eighth of the pieces, so a smaller file, pack and table for the block engine.
TRIGGER_ROUNDS = 300
TRIGGER_MIN_WEIGHT = 0.1


def _train_trigger(named, out: Path, rule_options) -> None:
    """Fit a sequence rule's trigger model on labelled conversations and write its weights."""
    from ..analysis import ConversationView
    from ..audience import train
    from ..turns import DEFAULT_THRESHOLD

    with user_errors():
        run, rule = _one_rule(rule_options, lambda r: r.learnable_trigger,
                              "--train-trigger learns the trigger of one sequence rule")
        toolkit = run.linter.pack.toolkit
        turns, conversations, refused = [], 0, []
        for conv, labels, group in _labelled_conversations(named, run, refused):
            conversations += 1
            labelled = {index for index, category in labels if category == rule.category}
            turns.extend(rule.trigger_examples(ConversationView(conv, toolkit), labelled, group))
    skipped = len(refused)
    examples = [turn.example for turn in turns]
    positive = sum(ex.positive for ex in examples)
    groups = {ex.group for ex in examples}
    if len(groups) < 3 or positive < 10:
        unit = rule.trigger_examples_are[0]
        raise UserError(f"--train-trigger needs labelled conversations of at least 3 teams with at least 10 {unit} "
                        f"labelled {rule.category} (found {positive} of {len(examples)} {unit}, {len(groups)} teams)")
    model = train(examples, rounds=TRIGGER_ROUNDS, min_weight=TRIGGER_MIN_WEIGHT)
    # A rule whose model only vetoes (no threshold) is told what a threshold would add, at the default one.
    threshold = rule.trigger_model.threshold if rule.trigger_model is not None else None
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    folds = min(5, len(groups))
    veto = rule.trigger_veto
    alone, learned, vetoed = _left_out_f1(turns, threshold, folds, veto)
    with_veto = f", {vetoed:.3f} with its veto at {veto} too" if veto is not None else ""
    unit, shows = rule.trigger_examples_are
    header = (f"{out.name} - how much each piece of a turn shows {shows}\n"
              f"  (feeds {rule.id}: trigger.model). Written by qa-lint calibrate --train-trigger from {len(examples)}\n"
              f"  {unit} ({positive} labelled {rule.category}) of {conversations} labelled conversations of\n"
              f"  {len(groups)} teams; pieces seen in fewer than 3 teams, or weighing under {TRIGGER_MIN_WEIGHT} either\n"
              f"  way, are left out.\n"
              f"  On teams left out of training ({folds} folds), {rule.category} F1 {alone:.3f} with the rule's words alone,\n"
              f"  {learned:.3f} with the learned weights at {threshold}{with_veto}.\n"
              f"Fields: piece<TAB>weight (log-odds); (bias) is the intercept; P: marks two characters of the message\n"
              f"  before the turn.")
    _write_model(out, model, header, skipped, [
        f"{len(examples)} {unit} ({positive} labelled {rule.category}) of {len(groups)} teams",
        f"on teams left out of training ({folds} folds): {rule.category} F1 {alone:.3f} with the rule's words "
        f"alone, {learned:.3f} with the learned weights at {threshold}{with_veto}"])


def _enough_to_learn(examples, needs: str) -> "tuple[int, set[str]]":
    """(positive examples, teams) of the messages a model is learnt from; a UserError that says what it `needs`, and
    what was found, when there are too few of either kind or of teams."""
    positive = sum(ex.positive for ex in examples)
    groups = {ex.group for ex in examples}
    if len(groups) < 3 or positive < 10 or len(examples) - positive < 10:
        raise UserError(f"{needs} (found {positive} of {len(examples)} messages, {len(groups)} teams)")
    return positive, groups


def _write_model(out: Path, model, header: str, skipped: int, lines: "list[str]") -> None:
    """Write a learnt model's weights and report it: what it was learnt from (lines[0], to which the pieces written
    are added), then the rest of `lines`; exit 2 when input records were skipped, as scan and calibrate do."""
    _write_weights(out, model, header)
    click.echo(f"{lines[0]}: {len(model.weights)} pieces written to {out}"
               + (f"; {skipped} records skipped" if skipped else ""))
    for line in lines[1:]:
        click.echo(line)
    if skipped:
        sys.exit(EXIT_ERROR)


def _one_rule(rule_options, learnable, what: str):
    """(run, rule): the rules loaded as the options say, and the one of them `learnable` accepts; a UserError that
    says `what` is learnt, and which rules were selected, when there is not exactly one."""
    run = make_run(**rule_options, jobs=1)
    load_rules(run)
    chosen = [r for r in run.linter.rules if learnable(r)]
    if len(chosen) != 1:
        names = ", ".join(r.id for r in chosen) or "none"
        raise UserError(f"{what}; choose it with --select RULE_ID (such rules selected: {names})")
    return run, chosen[0]


def _labelled_conversations(named, run, skipped: list):
    """(conversation, its labels as (message index, category) pairs, its team) for every labelled conversation of
    the sets `named` ((inputs, labels file) pairs); a record the reader refuses is reported on stderr and added
    to `skipped`."""
    from ..calibration import LabelError, read_labels
    from ..model import Conversation, InputProblem

    for inputs, labels_path in named:
        try:
            labels = read_labels(Path(labels_path))
        except LabelError as exc:
            raise UserError(str(exc)) from None
        for conv in run.read([str(p) for p in inputs] if isinstance(inputs, (list, tuple)) else [str(inputs)]):
            if isinstance(conv, InputProblem):
                click.echo(safe(f"{conv.where()}: {conv.reason} (skipped)"), err=True)
                skipped.append(conv)
                continue
            if not isinstance(conv, Conversation) or conv.id not in labels:
                continue
            group = conv.team or str((conv.meta or {}).get("product") or Path(labels_path).parent.name)
            yield conv, labels[conv.id], group


# The descent of a required rule's model and the pieces kept, as for the trigger model; the threshold a first
# model is judged at (the built-in resolution check's, chosen on the tuning part's teams left out).
REQUIRED_ROUNDS = 300
REQUIRED_MIN_WEIGHT = 0.1
DEFAULT_REQUIRED_THRESHOLD = 0.7
REQUIRED_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def _train_required(named, out: Path, rule_options) -> None:
    """Fit a required rule's model (messages that meet it in words no pattern holds) and write its weights."""
    from ..analysis import ConversationView
    from ..audience import train
    from ..vocabulary import partial_ends

    with user_errors():
        run, rule = _one_rule(rule_options, lambda r: r.learnable_model,
                              "--train-required learns the model of one required rule")
        toolkit = run.linter.pack.toolkit
        judged, skipped = [], []
        for conv, labels, group in _labelled_conversations(named, run, skipped):
            view = ConversationView(conv, toolkit)
            try:
                cut_start, cut_end = run.linter.partial if view.partial is None else partial_ends(view.partial)
            except ValueError:
                cut_start = cut_end = False
            if (cut_start and rule.judges_start) or (cut_end and rule.judges_end) or not rule.applies_to(view):
                continue
            example = rule.model_examples(view, any(category == rule.category for _, category in labels), group)
            if example is not None:
                judged.append(example)
    examples = [message for conv in judged if conv.learnt for message in conv.messages]
    positive, groups = _enough_to_learn(examples, "--train-required needs labelled conversations of at least 3 "
                                        f"teams, with at least 10 messages that meet {rule.id} and 10 that do not")
    model = train(examples, rounds=REQUIRED_ROUNDS, min_weight=REQUIRED_MIN_WEIGHT)
    threshold = rule.model_threshold or DEFAULT_REQUIRED_THRESHOLD
    folds = min(5, len(groups))
    alone, learned = _required_left_out(judged, folds)
    figures = ", ".join(f"{t} {learned[t]:.3f}" for t in REQUIRED_THRESHOLDS)
    header = (f"{out.name} - how much each piece of a message shows it meets {rule.id} in words no pattern of\n"
              f"  the rule holds (feeds {rule.id}: model). Written by qa-lint calibrate --train-required from\n"
              f"  {len(examples)} messages ({positive} meeting it) of {len(judged)} labelled conversations of {len(groups)}\n"
              f"  teams; pieces seen in fewer than 3 teams, or weighing under {REQUIRED_MIN_WEIGHT} either way, are left out.\n"
              f"  On teams left out of training ({folds} folds), {rule.category} F1 {alone:.3f} with the rule's words alone;\n"
              f"  with the learned weights at {figures}.\n"
              f"Fields: piece<TAB>weight (log-odds); (bias) is the intercept.")
    _write_model(out, model, header, len(skipped), [
        f"{len(examples)} messages ({positive} meeting {rule.id}) of {len(groups)} teams",
        f"on teams left out of training ({folds} folds): {rule.category} F1 {alone:.3f} with the rule's words "
        f"alone; with the learned weights at {figures} (the rule's threshold: {threshold})"])


# The descent of a message veto's model and the pieces kept, as for a required rule's model; the vetoes its
# figures on teams left out are printed at.
VETO_ROUNDS = 300
VETO_MIN_WEIGHT = 0.1
VETOES = (0.005, 0.01, 0.02, 0.05, 0.1)


def _train_veto(named, out: Path, rule_options) -> None:
    """Fit the veto of the phrases and regex rules of one category (their `model`) and write its weights."""
    from ..analysis import ConversationView
    from ..audience import train

    with user_errors():
        run = make_run(**rule_options, jobs=1)
        load_rules(run)
        rules = [r for r in run.linter.rules if r.learnable_veto]
        categories = sorted({r.category for r in rules})
        if len(categories) != 1:
            raise UserError("--train-veto learns one veto for the phrases and regex rules of one category; choose "
                            f"them with --select CATEGORY (such rules selected: {', '.join(r.id for r in rules) or 'none'})")
        category = categories[0]
        given = sorted({r.veto for r in rules if r.veto is not None})
        for rule in rules:
            rule.veto_model = None  # judged by their words alone: what a veto would take away is the question
        toolkit = run.linter.pack.toolkit
        messages, skipped = [], []
        for conv, labels, group in _labelled_conversations(named, run, skipped):
            labelled = {index for index, c in labels if c == category}
            view = ConversationView(conv, toolkit)  # one view: the scan and the examples share its analyses
            reported = {f.message_index for f in run.linter.scan_view(view, rules)}
            messages.extend(_veto_examples(view, rules, labelled, reported, group))
    examples = [example for example, _ in messages]
    positive, groups = _enough_to_learn(examples, "--train-veto needs labelled conversations of at least 3 teams, "
                                        f"with at least 10 messages labelled {category} where the rules' words hit "
                                        "and 10 not labelled")
    model = train(examples, rounds=VETO_ROUNDS, min_weight=VETO_MIN_WEIGHT)
    folds = min(5, len(groups))
    alone, vetoed = _veto_left_out(messages, folds)
    figures = ", ".join(f"{v} {vetoed[v]:.3f}" for v in VETOES)
    ids = ", ".join(r.id for r in rules)
    header = (f"{out.name} - how much each piece of a message shows it breaks the rule its words hit\n"
              f"  (feeds the model of {ids}). Written by qa-lint calibrate --train-veto from\n"
              f"  {len(examples)} messages where their words hit ({positive} labelled {category}) of {len(groups)} teams;\n"
              f"  pieces seen in fewer than 3 teams, or weighing under {VETO_MIN_WEIGHT} either way, are left out.\n"
              f"  On teams left out of training ({folds} folds), {category} F1 over these messages {alone:.3f} with the\n"
              f"  rules' words alone; with the veto at {figures}.\n"
              f"Fields: piece<TAB>weight (log-odds); (bias) is the intercept.")
    _write_model(out, model, header, len(skipped), [
        f"{len(examples)} messages where the words of {ids} hit ({positive} labelled {category}) of {len(groups)} teams",
        f"on teams left out of training ({folds} folds): {category} F1 {alone:.3f} with the rules' words alone; "
        f"with the veto at {figures}" + (f" (the rules' veto: {', '.join(map(str, given))})" if given else "")])


def _veto_examples(conv, rules, labelled: set[int], reported: set[int], group: str) -> list:
    """(Example, reported) for each message in the scope of one of `rules` where their words hit before
    exceptions and conditions (or that is labelled): the message alone, as the veto reads it; positive when the
    reviewer labelled it with the rules' category. The messages the exceptions cancel teach the weights what a
    harmless use looks like."""
    from ..audience import Example
    from ..text.pieces import features

    found = []
    scoped = {view.index for rule in rules for view in rule.scope.select(conv)}
    for view in conv.messages:
        if view.index not in scoped:
            continue
        if view.index in labelled or any(rule.veto_hits(view) for rule in rules):
            found.append((Example(group, features(view.norm.text, ""), view.index in labelled),
                          view.index in reported))
    return found


def _veto_left_out(messages, folds: int) -> "tuple[float, dict[float, float]]":
    """F1 of the category over `messages` ((Example, reported) pairs) when each fold of teams is judged with weights
    learnt on the others: as the rules report alone, and with a reported message the weights score under each of
    VETOES left out."""
    from ..audience import train
    from ..calibration import CategoryScore, agreement_f1

    groups = sorted({example.group for example, _ in messages})
    alone = CategoryScore("alone")
    vetoed = {v: CategoryScore(str(v)) for v in VETOES}
    for k in range(folds):
        out = set(groups[k::folds])
        model = train([ex for ex, _ in messages if ex.group not in out], rounds=VETO_ROUNDS,
                      min_weight=VETO_MIN_WEIGHT)
        for example, reported in messages:
            if example.group not in out:
                continue
            _count(alone, reported, example.positive)
            p = model.probability(example.words) if reported else 1.0
            for v, score in vetoed.items():
                _count(score, reported and p >= v, example.positive)
    return agreement_f1(alone) or 0.0, {v: agreement_f1(score) or 0.0 for v, score in vetoed.items()}


def _required_left_out(judged, folds: int) -> "tuple[float, dict[float, float]]":
    """F1 of the rule's category over the conversations of `judged` (RequiredExample) when each fold of teams is
    judged with weights learnt on the others: with the requirements alone, and with the model asked where they
    fail (as the rule asks it), at each of REQUIRED_THRESHOLDS."""
    from ..audience import train
    from ..calibration import CategoryScore, agreement_f1

    groups = sorted({conv.group for conv in judged})
    alone = CategoryScore("alone")
    learned = {t: CategoryScore(str(t)) for t in REQUIRED_THRESHOLDS}
    for k in range(folds):
        out = set(groups[k::folds])
        model = train([m for conv in judged if conv.learnt for m in conv.messages if m.group not in out],
                      rounds=REQUIRED_ROUNDS, min_weight=REQUIRED_MIN_WEIGHT)
        for conv in judged:
            if conv.group not in out:
                continue
            _count(alone, conv.found, conv.labelled)
            best = max((model.probability(m.words) for m in conv.messages), default=0.0) if conv.found else 0.0
            for t, score in learned.items():
                _count(score, conv.found and best < t, conv.labelled)
    return agreement_f1(alone) or 0.0, {t: agreement_f1(score) or 0.0 for t, score in learned.items()}


def _left_out_f1(turns, threshold: float, folds: int, veto: "float | None" = None) -> tuple:
    """F1 of the rule's category over the replies of `turns` (TurnExample) when each fold of teams is judged by
    weights learnt on the others: with the rule's own words alone, with the learned weights added where the words
    hit nowhere in the turn (as the rule asks the model), and, given a `veto`, with a cued turn the weights score
    under it left out too (None without one). What the weights add on teams they were not learnt from, as
    --train-audience reports its accuracy."""
    from ..audience import train
    from ..calibration import CategoryScore, agreement_f1

    groups = sorted({turn.example.group for turn in turns})
    alone, learned, vetoed = CategoryScore("alone"), CategoryScore("learned"), CategoryScore("vetoed")
    for k in range(folds):
        out = set(groups[k::folds])
        model = train([t.example for t in turns if t.example.group not in out], rounds=TRIGGER_ROUNDS,
                      min_weight=TRIGGER_MIN_WEIGHT)
        for turn in turns:
            if turn.example.group in out:
                p = model.probability(turn.example.words)
                asked = not turn.words_hit and p >= threshold
                _count(alone, turn.cued, turn.example.positive)
                _count(learned, turn.cued or asked, turn.example.positive)
                _count(vetoed, (turn.cued and not (veto is not None and p < veto)) or asked, turn.example.positive)
    return (agreement_f1(alone) or 0.0, agreement_f1(learned) or 0.0,
            (agreement_f1(vetoed) or 0.0) if veto is not None else None)


def _count(score, found: bool, labelled: bool) -> None:
    score.tp += found and labelled
    score.fp += found and not labelled
    score.fn += labelled and not found
