"""LiRA training entry point: stage 1 (Arca) then stage 2 (LaSR) with `transformers.Trainer`, merged at the end.

    python -m training --model artifacts/lira-small --dataset artifacts/lira-products \
        --output-dir artifacts/lira-small-trained

Multi-GPU: the same command under `torchrun --nproc_per_node N -m training ...` or `accelerate launch -m training`
(DDP through Trainer). The trained weights leave the run as a PEFT adapter (LoRA on g + the LiRA heads as
`modules_to_save`, a few MB) and are merged into a full `LiraModel` folder with `merge_and_unload()`.
"""

import dataclasses
import os
from dataclasses import dataclass, field

from transformers import HfArgumentParser, TrainingArguments, set_seed

from lira_utils.arguments import check_fields

from modeling_lira import LiraModel, LiraProcessor

from .collator import LiraRetrievalCollator
from .device import device_settings
from .reuse import LiraReuseArguments, reusable, run_inputs, saved_facts
from .saving import save_facts, save_merged
from .data import LiraDataArguments, LiraQueryDataset, plan_digest, training_rows
from lira_utils.dataset import load_corpus_rows, load_query_rows, parse_languages
from .english_scale import calibrate_english_scale
from .language_probe import refit_language_identifier
from .train_noise import LiraTrainNoise
from .trainer import LiraTrainer
from .validation import make_validation
from lira_utils.defaults import BATCH_SIZE, LANGUAGES, LORA_DROPOUT, SEED, STAGE1_STEPS, STAGE2_STEPS

# Every linear layer of g's Transformer blocks, per backbone family (names inside the backbone): BERT / XLM-R (query,
# key, value, attention output, feed-forward), MPNet (`attention.attn.{q,k,v,o}`) and Qwen3-style decoders
# (`self_attn.{q,k,v,o}_proj`, `mlp.{gate,up,down}_proj`). LiRA wraps g as `encoder`; h ("english_encoder.") never
# matches the anchored regex.
BACKBONE_LORA_TARGETS = (r"(encoder\.layer\.\d+\.(attention\.self\.(query|key|value)|attention\.attn\.[qkvo]|"
                         r"attention\.output\.dense|intermediate\.dense|output\.dense)|"
                         r"layers\.\d+\.(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj))")
LORA_TARGETS = r"encoder\." + BACKBONE_LORA_TARGETS
HEAD_MODULES = ["adaptor", "arca", "language_identifier", "lasr"]
STAGE1_TRAINABLE = ("english_in", "arca.", "language_identifier.")  # g side of the adaptor keeps the backbone


@dataclass
class LiraRunArguments(LiraDataArguments, LiraReuseArguments):
    """What to train on and how; every field is a command-line flag (`--stage2-steps 300`)."""

    model: str = field(default="artifacts/lira-small", metadata={"help": "LiRA folder to start from."})
    dataset: str = field(default="artifacts/lira-products", metadata={"help": "Built lira-products folder."})
    output_dir: str = field(default="artifacts/lira-small-trained", metadata={"help": "Merged model folder."})
    run_dir: str = field(default="runs/lira", metadata={"help": "Checkpoints and logs of both stages."})
    languages: str = field(default=LANGUAGES, metadata={"help": "Comma-separated languages."})
    stage1_steps: int = field(default=STAGE1_STEPS, metadata={"help": "Arca steps (encoders frozen)."})
    stage2_steps: int = field(default=STAGE2_STEPS, metadata={"help": "LaSR steps."})
    batch_size: int = field(default=BATCH_SIZE, metadata={"help": "Queries per device batch (+ as many products)."})
    gradient_accumulation_steps: int = field(default=1)
    stage1_learning_rate: float = field(default=1e-3)
    learning_rate: float = field(default=2e-4, metadata={"help": "Stage-2 learning rate (heads and LoRA)."})
    lora_r: int = field(default=8, metadata={"help": "LoRA rank on every linear layer of g; 0 = no LoRA."})
    lora_alpha: int = field(default=16)
    lora_dropout: float = field(default=LORA_DROPOUT, metadata={
        "help": "Dropout on the LoRA path (lira_utils/defaults.py; 0.05 before issue 31)."})
    max_train_queries_per_language: int = field(default=0, metadata={
        "help": "First N train queries per language (0 = all); see --train-queries-per-language for a budget."})
    validation_queries_per_language: int = field(default=60)
    eval_steps: int = field(default=50)
    language_probe_per_language: int = field(default=400, metadata={
        "help": "Texts per language for the language-id head refit after merging (0 = skip)."})
    english_scale_queries_per_language: int = field(default=200, metadata={
        "help": "Validation queries per language on which the English-half weight s is chosen after merging "
                "(training/english_scale.py; 0 = keep the trained s)."})
    query_normalizer: bool = field(default=True, metadata={
        "help": "Save a query normalizer with the model (dataset_builder/normalizer.py: the catalogue's titles and "
                "the train/validation queries, romanized forms included), which the processor applies to queries; "
                "--query-normalizer false saves none."})
    query_normalizer_min_fuzzy_letters: str = field(default="auto", metadata={
        "help": "Least letters of a span the normalizer may fuzzy-correct: 'auto' chooses it per language on "
                "validation queries with synthetic typos (dataset_builder/normalizer_letters.py), or a number (5), or "
                "'bn=3,ur=4' (others 5)."})
    query_normalizer_choice_queries: int = field(default=0, metadata={
        "help": "Clean validation queries per language (each also typo'd) for --query-normalizer-min-fuzzy-letters "
                "auto; 0 = all of them (300 proved too few to see a 0.004 clean loss)."})
    validate: bool = field(default=True, metadata={"help": "Validate during stage 2 and keep the best checkpoint."})
    early_stopping_patience: int = field(default=0, metadata={
        "help": "Stop stage 2 after this many validations without a better nDCG@10 (0 = run every step); needs "
                "--validate."})
    logging_steps: int = field(default=10)
    seed: int = field(default=SEED)
    num_workers: int = field(default=0, metadata={"help": "DataLoader workers (use 4+ on a GPU machine)."})
    torch_compile: bool = field(default=False, metadata={
        "help": "Compile the model with torch.compile (TrainingArguments.torch_compile), for both stages. For GPUs: "
                "on 2 CPU cores the first step compiled for about 5 minutes and every new sequence length "
                "recompiles, more than a whole main-job run (docs/speed.md)."})
    resume: bool = field(default=False, metadata={"help": "Resume from the last checkpoint in run_dir."})
    train_noise_rate: float = field(default=0.0, metadata={
        "help": "Share of train queries rewritten by the test_noisy noise generators (typo, no_diacritics, "
                "code_mix, romanized; training/train_noise.py); validation and test rows are never noised. Chosen on "
                "validation with `python -m studies.noise_rate`."})
    adapter_only: bool = field(default=False, metadata={
        "help": "Stop after writing run_dir/adapter (+ training_facts.json): no merge, no language-id refit, no s "
                "calibration. For a remote (GPU) run whose adapter is merged locally with `python -m "
                "training.gpu.merge_adapter`, which does those steps exactly as a local run would."})
    config_overrides: str = field(default="", metadata={
        "help": "LiraConfig values for this run, e.g. `retrieval_temperature=0.05,doc_queue_size=128` (the "
                "run_clm convention); saved with the merged model."})

    def __post_init__(self):
        """Every count and rate in range before anything loads (`--batch-size 0`, `--learning-rate nan` name the
        flag instead of failing deep inside the Trainer)."""
        check_fields(self, counts={
            "stage1_steps": (0, None), "stage2_steps": (1, None), "batch_size": (1, 65_536),
            "gradient_accumulation_steps": (1, 65_536), "lora_r": (0, 4096), "lora_alpha": (1, 65_536),
            "max_train_queries_per_language": (0, None), "train_queries_per_language": (0, None), "validation_queries_per_language": (0, None),
            "eval_steps": (1, None), "language_probe_per_language": (0, None),
            "english_scale_queries_per_language": (0, None), "query_normalizer_choice_queries": (0, None),
            "early_stopping_patience": (0, None), "logging_steps": (1, None), "seed": (0, 2**32 - 1),
            "num_workers": (0, 256)},
            numbers={"stage1_learning_rate": (0.0, 10.0), "learning_rate": (0.0, 10.0), "train_noise_rate": (0.0, 1.0),
                     "parallel_share": (0.0, 1.0), "lora_dropout": (0.0, 0.99)})

    def parsed_config_overrides(self):
        """`--config-overrides` as a dict typed like the `LiraConfig` defaults; unknown keys raise ValueError."""
        from modeling_lira import LiraConfig

        defaults, out = LiraConfig(), {}
        for item in filter(None, (part.strip() for part in self.config_overrides.split(","))):
            key, sep, raw = item.partition("=")
            key = key.strip()
            if not sep or not hasattr(defaults, key):
                raise ValueError(f"--config-overrides item {item!r} is not `name=value` with a LiraConfig name; "
                                 f"e.g. `retrieval_temperature=0.05`.")
            kind = type(getattr(defaults, key))
            if kind not in (int, float, bool):
                raise ValueError(f"--config-overrides: {key!r} is a {kind.__name__}; only numbers and booleans "
                                 f"can be overridden from the command line.")
            try:
                if kind is bool:
                    flags = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
                    out[key] = flags[raw.strip().lower()]
                else:
                    out[key] = kind(raw)
            except (KeyError, ValueError):
                raise ValueError(f"--config-overrides: {key}={raw!r} is not a valid {kind.__name__}.") from None
        return out

    def language_list(self):
        return parse_languages(self.languages)


@dataclass
class LiraAblation:
    """What `studies.ablations` switches off; not flags of `python -m training` (the shipped recipe has them all on).

    Args:
        no_actor (`bool`, *optional*, defaults to `False`): always feed candidate 1 (no Arca actor).
        no_queues (`bool`, *optional*, defaults to `False`): no DocQueue / CorrQueue.
        no_consistency (`bool`, *optional*, defaults to `False`): no LRL/English consistency loss.
        no_language (`bool`, *optional*, defaults to `False`): no language embedding.
    """

    no_actor: bool = False
    no_queues: bool = False
    no_consistency: bool = False
    no_language: bool = False


def build_peft_model(model, args):
    """Wraps `model` with LoRA on g (explicit target modules) and the LiRA heads as `modules_to_save`."""
    from peft import LoraConfig, get_peft_model

    model.freeze_backbones()
    lora = LoraConfig(
        task_type="FEATURE_EXTRACTION", r=max(args.lora_r, 1), lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
        target_modules=LORA_TARGETS,
        modules_to_save=HEAD_MODULES,
    )
    return get_peft_model(model, lora)


def set_stage_trainable(peft_model, stage, use_lora):
    """Stage 1: English side of the adaptor, actor, language id. Stage 2: every head (+ LoRA if enabled)."""
    for name, param in peft_model.named_parameters():
        is_head = "modules_to_save" in name
        if stage == "arca":
            param.requires_grad = is_head and any(key in name for key in STAGE1_TRAINABLE)
        else:
            param.requires_grad = is_head or ("lora_" in name and use_lora)


def training_arguments(args, stage_dir, max_steps, learning_rate, evaluate):
    return TrainingArguments(
        output_dir=stage_dir, max_steps=max_steps, per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=args.gradient_accumulation_steps, learning_rate=learning_rate,
        warmup_steps=0.1, lr_scheduler_type="linear", weight_decay=0.01, max_grad_norm=1.0,
        logging_steps=args.logging_steps, save_strategy="steps", save_steps=args.eval_steps if evaluate else max_steps,
        save_total_limit=2, eval_strategy="steps" if evaluate else "no", eval_steps=args.eval_steps if evaluate else None,
        load_best_model_at_end=evaluate, metric_for_best_model="ndcg@10" if evaluate else None,
        greater_is_better=True, remove_unused_columns=False, label_names=[], report_to=[], seed=args.seed,
        dataloader_num_workers=args.num_workers, disable_tqdm=False, eval_on_start=evaluate,
        torch_compile=args.torch_compile, **device_settings(),
    )


def stage2_callbacks(args):
    """`EarlyStoppingCallback` when `--early-stopping-patience` > 0 (it needs validation to compare against)."""
    if args.early_stopping_patience <= 0:
        return []
    if not args.validate:
        raise ValueError(f"--early-stopping-patience {args.early_stopping_patience} needs validation; drop "
                         f"--no-validate or set --early-stopping-patience 0.")
    from transformers import EarlyStoppingCallback

    return [EarlyStoppingCallback(early_stopping_patience=args.early_stopping_patience)]


def _last_checkpoint(stage_dir):
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(stage_dir) if os.path.isdir(stage_dir) else None


def run_training(args, ablation=None):
    """Runs both stages and writes the merged model to `args.output_dir`. Returns a dict of run facts.

    Args:
        args ([`LiraRunArguments`]): the run.
        ablation ([`LiraAblation`], *optional*): a study's switched-off parts (default: none).
    """
    ablation = ablation or LiraAblation()
    callbacks = stage2_callbacks(args)  # flag errors surface before stage 1 spends any time
    inputs = run_inputs(args, (args.model,), (args.dataset, args.parallel_dataset))
    if ablation == LiraAblation() and not args.adapter_only and args.reuse_unchanged \
            and reusable(args.output_dir, "training_facts.json", inputs):
        return saved_facts(args.output_dir, "training_facts.json")
    set_seed(args.seed)
    languages = args.language_list()
    processor = LiraProcessor.from_pretrained(args.model)
    model = LiraModel.from_pretrained(args.model, **{"use_language_embedding": not ablation.no_language,
                                                     **args.parsed_config_overrides()})
    missing = [lang for lang in languages if lang not in model.config.lang2id]
    if missing:
        raise ValueError(f"languages {missing} are not in the model's lang2id {sorted(model.config.lang2id)}.")
    products = load_corpus_rows(args.dataset)
    val_rows = {lang: load_query_rows(args.dataset, [lang], "validation", args.validation_queries_per_language)
                for lang in languages}
    peft_model = build_peft_model(model, args)
    collator_kwargs = dict(first_candidate_only=ablation.no_actor, use_language=not ablation.no_language, seed=args.seed)
    # one plan for both stages, built like the `finetune` baseline's (same seed -> the same (query, product) pairs in
    # the same order). Under DDP a micro-step's global batch (WORLD_SIZE x B, rank r reading the r-th B of it) has
    # distinct positives and is the batch one process would read with --batch-size W x B: with the cross-rank
    # negatives of LiraTrainer, N devices train like one device holding the global batch
    world = int(os.environ.get("WORLD_SIZE", "1"))
    micro_steps = (args.stage1_steps + args.stage2_steps) * args.gradient_accumulation_steps
    train_rows, corpus, plan = training_rows(
        args.dataset, languages, products, micro_steps, args.batch_size * world, args.seed,
        args.train_queries_per_language, args.parallel_dataset or None, args.parallel_share,
        args.max_train_queries_per_language or None)
    split = args.stage1_steps * args.gradient_accumulation_steps * world * args.batch_size
    noise = LiraTrainNoise(products, args.train_noise_rate, args.seed) if args.train_noise_rate > 0 else None
    stage1_data = LiraQueryDataset(train_rows, plan[:split], noise)
    dataset = LiraQueryDataset(train_rows, plan[split:], noise and noise.shifted(split))
    stage1_dir, stage2_dir = os.path.join(args.run_dir, "stage1"), os.path.join(args.run_dir, "stage2")
    stage1_final = os.path.join(stage1_dir, "final")
    resume2 = _last_checkpoint(stage2_dir) if args.resume else None
    facts = {"train_queries": sum(not r.get("parallel") for r in train_rows), "languages": languages,
             "args": dataclasses.asdict(args), "pairs": len(plan), "plan_sha1": plan_digest(plan, train_rows),
             "parallel_pairs": sum(1 for i, _ in plan if train_rows[i].get("parallel")), "inputs": inputs}
    if ablation != LiraAblation():
        facts["ablation"] = dataclasses.asdict(ablation)  # a study's model says what it was trained without

    if resume2 is None and not (args.resume and os.path.exists(os.path.join(stage1_final, "adapter_config.json"))):
        set_stage_trainable(peft_model, "arca", use_lora=False)
        trainer1 = LiraTrainer(model=peft_model, args=training_arguments(args, stage1_dir, args.stage1_steps,
                                                                         args.stage1_learning_rate, False),
                               train_dataset=stage1_data, data_collator=LiraRetrievalCollator(processor, corpus,
                                                                                              **collator_kwargs),
                               stage="arca")
        resume1 = _last_checkpoint(stage1_dir) if args.resume else None
        facts["stage1"] = trainer1.train(resume_from_checkpoint=resume1).metrics
        peft_model.save_pretrained(stage1_final)
    elif resume2 is None:
        from peft import load_peft_weights, set_peft_model_state_dict

        set_peft_model_state_dict(peft_model, load_peft_weights(stage1_final))

    set_stage_trainable(peft_model, "lasr", use_lora=args.lora_r > 0)
    validation = make_validation(processor, val_rows, products)
    trainer2 = LiraTrainer(model=peft_model, args=training_arguments(args, stage2_dir, args.stage2_steps,
                                                                     args.learning_rate, args.validate),
                           train_dataset=dataset, data_collator=LiraRetrievalCollator(processor, corpus,
                                                                                      **collator_kwargs),
                           eval_dataset=LiraQueryDataset([r for rows in val_rows.values() for r in rows]),
                           stage="lasr", use_queues=not ablation.no_queues, use_consistency=not ablation.no_consistency,
                           validation=validation, callbacks=callbacks)
    facts["stage2"] = trainer2.train(resume_from_checkpoint=resume2).metrics
    facts["best_checkpoint"] = trainer2.state.best_model_checkpoint
    facts["best_metric"] = trainer2.state.best_metric
    facts["log_history"] = trainer2.state.log_history
    if trainer2.is_world_process_zero():
        adapter_dir = os.path.join(args.run_dir, "adapter")
        peft_model.save_pretrained(adapter_dir)  # the small artefact of the run
        if args.adapter_only:
            save_facts(adapter_dir, facts)
            return facts
        finish_training(peft_model.merge_and_unload(), processor, args, train_rows, products, facts)
    return facts


def finish_training(merged, processor, args, train_rows, corpus, facts):
    """After merging: refits the language-id head, chooses s on validation, saves the merged folder.

    Shared by `run_training` and `training.gpu.merge_adapter` (an adapter trained elsewhere), so both end identically.
    """
    languages = args.language_list()
    if args.language_probe_per_language > 0:
        facts["language_id_train_accuracy"] = refit_language_identifier(
            merged, processor, train_rows, corpus, languages, args.language_probe_per_language)
    if args.english_scale_queries_per_language > 0:
        cal_rows = {lang: load_query_rows(args.dataset, [lang], "validation",
                                          args.english_scale_queries_per_language) for lang in languages}
        facts["english_scale"] = calibrate_english_scale(merged, processor, cal_rows, corpus)
    if args.query_normalizer:  # after the calibration, which reads clean validation queries as they are
        from dataset_builder.normalizer import build_query_normalizer, parse_min_fuzzy_letters

        letters = parse_min_fuzzy_letters(args.query_normalizer_min_fuzzy_letters)
        if letters == "auto":
            from dataset_builder.normalizer_letters import choose_min_fuzzy_letters

            choice = choose_min_fuzzy_letters(merged, processor, args.dataset, languages,
                                              queries_per_language=args.query_normalizer_choice_queries)
            facts["query_normalizer_letters_choice"] = choice
            letters = choice["chosen"]
        processor.query_normalizer = build_query_normalizer(args.dataset, languages, min_fuzzy_letters=letters)
        facts["query_normalizer_entries"] = {k: len(v) for k, v in processor.query_normalizer.vocabulary.items()}
        facts["query_normalizer_min_fuzzy_letters"] = letters
        facts["query_normalizer_real_words"] = {k: len(v) for k, v in processor.query_normalizer.real_words.items()}
        facts["query_normalizer_lexicon"] = {k: len(v) for k, v in processor.query_normalizer.lexicon.items()}
    return save_merged(merged, processor, args.output_dir, facts)


def parse_args(argv=None):
    parser = HfArgumentParser(LiraRunArguments)
    (args,) = parser.parse_args_into_dataclasses(args=argv)
    return args
