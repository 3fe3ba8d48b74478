"""The embedded default: a deterministic synthetic mini benchmark, made with no download.

Each of 50 instructions asks about an image drawn with Pillow whose right answer
is known (count the shapes, name a colour, read a word, read a bar chart).
Four fictitious responders answer with a quality from 1 to 5 drawn from their
own skill; the text follows the quality (5: right and grounded in the image,
4: right but terse, 3: hedged or half right, 2: wrong with confident reasons,
1: off topic or a refusal). The "human" labels follow the qualities exactly:
the score is the quality, a pair goes to the better response (tie when equal),
a ranking sorts by quality. A judge that reads images well agrees with them.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from itertools import combinations

from PIL import Image, ImageDraw, ImageFont

from mllm_judge_tasks import protocol

N_INSTRUCTIONS = 50
SEED = 20240211
IMAGE_SIZE = (320, 240)
# Fictitious responders and how likely each is to give a response of quality 1..5.
RESPONDERS = {
    "aurora": (0.02, 0.08, 0.15, 0.35, 0.40),
    "basalt": (0.05, 0.15, 0.30, 0.30, 0.20),
    "cirrus": (0.10, 0.30, 0.30, 0.20, 0.10),
    "dune": (0.30, 0.30, 0.20, 0.15, 0.05),
}
COLOURS = {"red": (220, 40, 40), "green": (40, 170, 70), "blue": (40, 90, 220), "yellow": (235, 200, 30), "purple": (140, 60, 180)}
SHAPES = ("circle", "square", "triangle")
WORDS = ("HARBOR", "MAPLE", "QUARTZ", "LANTERN", "ORBIT", "VELVET", "CANYON", "PEPPER")
CATEGORIES = ("apples", "pears", "plums", "figs", "limes")
MINI_SUMMARY = (
    f"{N_INSTRUCTIONS} instructions about synthetic images (shape counts, colours, short words, bar charts) "
    f"with known answers, answered by {len(RESPONDERS)} fictitious responders of graded skill; the human labels "
    "follow the known quality of each response."
)


@dataclass
class Scene:
    source: str
    instruction: str
    answer: str
    wrong: list[str]
    grounding: str  # what a careful look at the image shows, used by quality-5 answers
    description: str
    image: bytes


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _draw_shape(draw: ImageDraw.ImageDraw, kind: str, box: tuple[int, int, int, int], fill: tuple) -> None:
    x0, y0, x1, y1 = box
    if kind == "circle":
        draw.ellipse(box, fill=fill, outline=(0, 0, 0))
    elif kind == "square":
        draw.rectangle(box, fill=fill, outline=(0, 0, 0))
    else:
        draw.polygon([((x0 + x1) // 2, y0), (x1, y1), (x0, y1)], fill=fill, outline=(0, 0, 0))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _free_boxes(rng: random.Random, count: int, size: int) -> list[tuple[int, int, int, int]]:
    """Non-overlapping boxes on a grid, so every shape is visible and countable."""
    columns, rows = IMAGE_SIZE[0] // (size + 10), IMAGE_SIZE[1] // (size + 10)
    cells = rng.sample([(c, r) for c in range(columns) for r in range(rows)], count)
    return [(c * (size + 10) + 5, r * (size + 10) + 5, c * (size + 10) + 5 + size, r * (size + 10) + 5 + size) for c, r in cells]


def _count_scene(rng: random.Random) -> Scene:
    kind, other = rng.sample(SHAPES, 2)
    n, n_other = rng.randint(2, 7), rng.randint(1, 3)
    image = Image.new("RGB", IMAGE_SIZE, (250, 250, 245))
    draw = ImageDraw.Draw(image)
    boxes = _free_boxes(rng, n + n_other, 40)
    for index, box in enumerate(boxes):
        _draw_shape(draw, kind if index < n else other, box, rng.choice(list(COLOURS.values())))
    return Scene(
        source="mini-count",
        instruction=f"How many {kind}s are in the image?",
        answer=str(n),
        wrong=[str(w) for w in (n + 1, n - 1, n + 2, n + n_other) if w > 0 and w != n],
        grounding=f"Besides the {kind}s there {'is' if n_other == 1 else 'are'} {n_other} {other}{'' if n_other == 1 else 's'}, which do not count.",
        description=f"A light background with {n} {kind}s and {n_other} {other}{'' if n_other == 1 else 's'} in various colours.",
        image=_png(image),
    )


def _colour_scene(rng: random.Random) -> Scene:
    kind = rng.choice(SHAPES)
    colour, *others = rng.sample(list(COLOURS), 4)
    image = Image.new("RGB", IMAGE_SIZE, (245, 245, 250))
    draw = ImageDraw.Draw(image)
    _draw_shape(draw, kind, (100, 60, 220, 180), COLOURS[colour])
    for index, name in enumerate(others[:2]):
        _draw_shape(draw, rng.choice(SHAPES), (20 + index * 250, 20, 50 + index * 250, 50), COLOURS[name])
    return Scene(
        source="mini-color",
        instruction=f"What colour is the large {kind} in the middle of the image?",
        answer=colour,
        wrong=others,
        grounding=f"The two small shapes in the corners are {others[0]} and {others[1]}, but the large {kind} is {colour}.",
        description=f"A large {colour} {kind} in the centre, with a small {others[0]} and a small {others[1]} shape in the top corners.",
        image=_png(image),
    )


def _text_scene(rng: random.Random) -> Scene:
    word, *others = rng.sample(WORDS, 3)
    background = rng.choice(list(COLOURS.values()))
    image = Image.new("RGB", IMAGE_SIZE, (200, 200, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 70, 290, 170), fill=background, outline=(0, 0, 0), width=3)
    draw.text((160, 120), word, fill=(255, 255, 255), font=_font(36), anchor="mm")
    misread = word[:-1] + ("E" if word[-1] != "E" else "A")
    return Scene(
        source="mini-text",
        instruction="What word is written on the sign?",
        answer=word,
        wrong=[misread, *others],
        grounding=f"The sign is a rectangle with white capital letters spelling {word}.",
        description=f"A grey background with a coloured rectangular sign that reads '{word}' in white capital letters.",
        image=_png(image),
    )


def _chart_scene(rng: random.Random) -> Scene:
    labels = rng.sample(CATEGORIES, 4)
    values = rng.sample(range(2, 10), 4)
    image = Image.new("RGB", IMAGE_SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.line((30, 210, 300, 210), fill=(0, 0, 0), width=2)
    draw.line((30, 20, 30, 210), fill=(0, 0, 0), width=2)
    for index, (label, value) in enumerate(zip(labels, values)):
        x = 45 + index * 65
        draw.rectangle((x, 210 - value * 20, x + 40, 210), fill=(70, 110, 200))
        draw.text((x + 20, 225), label, fill=(0, 0, 0), font=_font(12), anchor="mm")
        draw.text((x + 20, 200 - value * 20), str(value), fill=(0, 0, 0), font=_font(12), anchor="mm")
    best = labels[values.index(max(values))]
    readings = ", ".join(f"{label} {value}" for label, value in zip(labels, values))
    return Scene(
        source="mini-chart",
        instruction="Which category has the highest bar in this chart?",
        answer=best,
        wrong=[label for label in labels if label != best],
        grounding=f"Reading the bars: {readings}.",
        description=f"A bar chart with four bars labelled with their values: {readings}.",
        image=_png(image),
    )


SCENES = (_count_scene, _colour_scene, _text_scene, _chart_scene)


# Phrasings of each quality level; {a} is the right answer, {w} a wrong one, {g} the grounding.
_PHRASINGS = {
    5: ("The answer is {a}. {g}", "{g} So the answer is {a}.", "Looking closely at the image: {g} The answer is {a}."),
    4: ("{a}.", "The answer is {a}.", "It is {a}."),
    3: (
        "It is hard to tell from the image; it may be {a}, or possibly {w}.",
        "Probably {a}, although {w} is also possible given the image.",
    ),
    2: (
        "The answer is clearly {w}. Looking at the image carefully, {w} is the only reading that fits.",
        "{w}. The image leaves no doubt about it.",
    ),
    1: (
        "I'm sorry, but I cannot help with questions about images.",
        "This image shows a beautiful landscape with mountains and a lake at sunset.",
    ),
}


def _response(scene: Scene, quality: int, rng: random.Random) -> str:
    template = rng.choice(_PHRASINGS[quality])
    return template.format(a=scene.answer, w=rng.choice(scene.wrong), g=scene.grounding)


def make_mini_benchmark() -> tuple[dict[str, list[dict]], dict[str, bytes]]:
    """Rows of the `score`, `pair` and `batch` configs, and the images they point to."""
    rng = random.Random(SEED)
    rows: dict[str, list[dict]] = {"score": [], "pair": [], "batch": []}
    images: dict[str, bytes] = {}
    for instruction_id in range(N_INSTRUCTIONS):
        scene = SCENES[instruction_id % len(SCENES)](rng)
        image_file = f"{instruction_id}.png"
        images[image_file] = scene.image
        common = {
            "instruction_id": instruction_id,
            "image_file": image_file,
            "instruction": scene.instruction,
            "source": scene.source,
            "image_description": scene.description,
            "extra": "{}",
        }
        answers = []
        for name, skill in RESPONDERS.items():
            quality = rng.choices(range(1, 6), weights=skill)[0]
            answers.append((name, _response(scene, quality, rng), quality))
        for name, text, quality in answers:
            score_id = len(rows["score"])
            rows["score"].append(
                {**common, "id": protocol.row_id("score", score_id), "score_id": score_id,
                 "responder": name, "response": text, "human_score": quality}
            )
        for first, second in combinations(answers, 2):
            a, b = (first, second) if rng.random() < 0.5 else (second, first)
            pair_id = len(rows["pair"])
            rows["pair"].append(
                {**common, "id": protocol.row_id("pair", pair_id), "pair_id": pair_id,
                 "responder_a": a[0], "response_a": a[1], "responder_b": b[0], "response_b": b[1],
                 "human": protocol.normalize_pair_label("A" if a[2] > b[2] else "B" if b[2] > a[2] else protocol.TIE)}
            )
        # Every tenth item ranks three answers, as some items of the release do.
        listed = rng.sample(answers, 3 if instruction_id % 10 == 9 else 4)
        tie_break = {name: rng.random() for name, _, _ in listed}
        order = sorted(range(len(listed)), key=lambda i: (-listed[i][2], tie_break[listed[i][0]]))
        ranking = "".join(protocol.BATCH_LETTERS[i] for i in order)
        rows["batch"].append(
            {**common, "id": protocol.row_id("batch", instruction_id),
             "responders": [name for name, _, _ in listed], "responses": [text for _, text, _ in listed],
             "human_ranking": ranking, "human_ranking_indices": protocol.ranking_indices(ranking)}
        )
    return rows, images
