"""Teams as good as Slack: names with spaces (and split in two), plain names in the 1:1 chat,
answers for one person kept out of channels, Teams' own wording, free text as the day's note,
shout-outs as new posts that mention the seller."""

from __future__ import annotations

from pepptalk.bot.jobs import run_job
from tests.bot.teams.activities import _entity, message, person
from tests.bot.teams.cards import card_problems, taps
from tests.bot.teams.site import MONDAY_0830_OSLO, TeamsSite, cards_of, texts

KARI, MEGAN = person("Kari Nordmann"), person("Megan Bowen")
KARI_1ON1, MEGAN_1ON1 = "1on1-29:kari", "1on1-29:megan"


async def team_with_megan(site: TeamsSite) -> None:
    await site.post(message(MEGAN, "hi"))
    await site.post(message(KARI, "hi"))
    await site.post(message(KARI, "team create Oslo", channel="sales"))
    await site.post(
        message(KARI, "team add <at>Megan Bowen</at>", channel="sales", mentions=[MEGAN])
    )
    assert "Added Megan Bowen" in texts(site.connector.cards("sales"))


async def seen(site: TeamsSite) -> str:
    await site.post(message(KARI, "seen"))
    return texts(site.connector.cards(KARI_1ON1)[-1:])


async def test_a_mention_with_a_space_is_one_person(open_site: TeamsSite) -> None:
    await team_with_megan(open_site)
    await open_site.post(
        message(
            KARI,
            "feedback <at>Megan Bowen</at> coaching Great call",
            channel="sales",
            mentions=[MEGAN],
        )
    )
    assert "last talk: coaching, today" in await seen(open_site)


async def test_a_name_teams_split_into_two_mentions_is_one_person(open_site: TeamsSite) -> None:
    await team_with_megan(open_site)
    split = message(KARI, "feedback <at>Megan</at> <at>Bowen</at> praise Sharp", channel="sales")
    parts = [("Megan", "<at>Megan</at>"), ("Bowen", "<at>Bowen</at>")]
    split.entities = [
        *(split.entities or []),
        *(
            _entity({"type": "mention", "mentioned": {"id": MEGAN.id, "name": n}, "text": w})
            for n, w in parts
        ),
    ]
    await open_site.post(split)
    said = await seen(open_site)
    assert "last talk: praise, today" in said and "29:" not in said


async def test_plain_names_work_in_the_one_to_one_chat(open_site: TeamsSite) -> None:
    await team_with_megan(open_site)
    await open_site.post(message(KARI, "feedback Megan Bowen coaching Great call"))
    said = texts(open_site.connector.cards(KARI_1ON1)[-1:])
    assert "Logged: coaching with Megan Bowen" in said, said
    await open_site.post(message(KARI, "feedback megan praise Sharp follow-up"))
    assert "Logged: praise with Megan Bowen" in texts(open_site.connector.cards(KARI_1ON1)[-1:])


async def test_feedback_typed_in_a_channel_is_answered_in_the_one_to_one_chat(
    open_site: TeamsSite,
) -> None:
    await team_with_megan(open_site)
    before = len(open_site.connector.cards("sales"))
    await open_site.post(
        message(
            KARI,
            "feedback <at>Megan Bowen</at> coaching Talked pricing",
            channel="sales",
            mentions=[MEGAN],
        )
    )
    in_channel = texts(open_site.connector.cards("sales")[before:])
    assert "That one is just for you: I've sent it to our 1:1 chat." in in_channel
    assert "Megan" not in in_channel and "coaching" not in in_channel
    assert "Logged: coaching with Megan Bowen" in texts(open_site.connector.cards(KARI_1ON1))
    # Without a kind a form would open: in a channel it becomes a button in the 1:1 chat.
    await open_site.post(
        message(KARI, "feedback <at>Megan Bowen</at>", channel="sales", mentions=[MEGAN])
    )
    [offer] = open_site.connector.cards(KARI_1ON1)[-1:]
    assert "this part is just for you" in texts([offer])
    button = taps(offer)[0]["data"]
    await open_site.post(message(KARI, value=button))
    [form] = open_site.connector.cards(KARI_1ON1)[-1:]
    assert [b["type"] for b in form["body"] if b["type"].startswith("Input")] == [
        "Input.ChoiceSet",
        "Input.Text",
    ]


async def test_a_sellers_checkin_asked_for_in_a_channel_stays_private(
    open_site: TeamsSite,
) -> None:
    await team_with_megan(open_site)
    await run_job(open_site.pepptalk.services, "checkins", at=MONDAY_0830_OSLO)
    before = len(open_site.connector.cards("sales"))
    await open_site.post(message(MEGAN, "checkin", channel="sales"))
    assert "just for you" in texts(open_site.connector.cards("sales")[before:])
    assert "How are you starting the day?" in texts(open_site.connector.cards(MEGAN_1ON1)[-1:])


async def test_free_text_in_the_one_to_one_chat_is_the_days_note(open_site: TeamsSite) -> None:
    await team_with_megan(open_site)
    await run_job(open_site.pepptalk.services, "checkins", at=MONDAY_0830_OSLO)
    [card] = [s for s in open_site.connector.sent if "Good morning, Megan!" in texts(cards_of(s))]
    await open_site.post(message(MEGAN, value=taps(cards_of(card)[0])[2]["data"]))
    await open_site.post(message(MEGAN, "Tired today, slept badly"))
    said = texts(open_site.connector.cards(MEGAN_1ON1))
    assert "don't know" not in said
    assert "Tired today, slept badly" in said
    await open_site.post(message(MEGAN, "/pepptalk dance"))
    assert "I don't know" in texts(open_site.connector.cards(MEGAN_1ON1)[-1:])


async def test_help_speaks_teams(open_site: TeamsSite) -> None:
    await team_with_megan(open_site)
    await open_site.post(message(KARI, "help"))
    personal = texts(open_site.connector.cards(KARI_1ON1)[-1:])
    assert "/pepptalk" not in personal and "**seen**" in personal, personal
    await open_site.post(message(KARI, "help", channel="sales"))
    in_channel = texts(open_site.connector.cards("sales")[-1:])
    assert "@Pepptalk seen" in in_channel and "/pepptalk" not in in_channel, in_channel


async def test_seen_offers_log_feedback_and_a_double_save_stores_one_talk(
    open_site: TeamsSite,
) -> None:
    await team_with_megan(open_site)
    await open_site.post(message(KARI, "seen"))
    [card] = open_site.connector.cards(KARI_1ON1)[-1:]
    actions = {action["title"]: action["data"] for action in taps(card)}
    assert "Log feedback for Megan Bowen" in actions, actions
    await open_site.post(message(KARI, value=actions["Log feedback for Megan Bowen"]))
    [form] = open_site.connector.cards(KARI_1ON1)[-1:]
    save = {**form["actions"][0]["data"], "kind": "praise", "note": "Great demo"}
    await open_site.post(message(KARI, value=save, reply_to_id="form-9"))
    await open_site.post(message(KARI, value=save, reply_to_id="form-9"))
    async with open_site.pepptalk.database.uow() as uow:
        from sqlalchemy import func, select

        from pepptalk.store.models import Feedback

        talks = await uow.session.scalar(select(func.count()).select_from(Feedback))
    assert talks == 1


async def test_a_shout_out_is_a_new_post_in_the_channel_not_a_reply_in_a_thread(
    open_site: TeamsSite,
) -> None:
    await team_with_megan(open_site)
    await open_site.post(message(KARI, "team set channel", channel="sales"))
    await open_site.post(message(MEGAN, "win Booked a demo with Nordvik"))
    await run_job(open_site.pepptalk.services, "checkins", at=MONDAY_0830_OSLO)
    win = next(c for c in open_site.connector.cards(KARI_1ON1) if "logged a win" in texts([c]))
    await open_site.post(message(KARI, value=taps(win)[0]["data"]))
    [post] = [s for s in open_site.connector.sent if "Shout-out to <at>" in texts(cards_of(s))]
    assert post.conversation == "19:sales@thread", post.conversation
    # Megan is mentioned, so Teams tells her: "<at>Megan Bowen</at>" with its mention entity.
    [card] = cards_of(post)
    assert "Shout-out to <at>Megan Bowen</at>: Booked a demo with Nordvik" in texts([card])
    assert card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Megan Bowen</at>",
            "mentioned": {"id": MEGAN.id, "name": "Megan Bowen"},
        }
    ]
    assert card_problems(card) == []
