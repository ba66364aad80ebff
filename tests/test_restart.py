"""A parent half-way through a form continues where they were after the bot restarts."""

from __future__ import annotations

from tests.e2e import Request, onboard, rows, tr
from tests.emulator import SimulatedPerson
from tests.harness import bot_running, make_settings, start_koldo_process, stop_bot, terminate


async def test_restart_in_the_middle_of_the_documents_flow(koldo, emulator, database_url):
    parent = SimulatedPerson(emulator, user_id=6001)
    await onboard(parent, "ky")
    await parent.press(tr("ky", "📄 Documents"))
    await parent.press(tr("ky", "👶 Birth certificate"))
    await parent.press(tr("ky", "🧒 For a child"))
    await stop_bot(koldo)

    async with bot_running(make_settings(database_url, emulator.base_url)) as restarted:
        await parent.send_text("11")
        assert parent.screen().text == tr("ky", "📍 Where do you live? Choose your settlement.")
        await parent.press(parent.buttons()[0])
        await parent.send_text("Туулгандыгы тууралуу күбөлүк жок")
        await parent.press(tr("ky", "➡️ Next"))
        await parent.press(tr("ky", "📱 Share my number"))
        await parent.press(tr("ky", "✅ No"))
        await parent.press(tr("ky", "✅ Send"))
        [request] = await rows(restarted.db, Request)
        assert (request.child_age, request.document_type) == (11, "birth_certificate")


async def test_koldo_run_stops_on_sigterm_and_resumes_the_flow(emulator, database_url):
    process = await start_koldo_process(emulator, database_url)
    parent = SimulatedPerson(emulator, user_id=6101, quiet=0.3)
    try:
        await onboard(parent, "ru")
        await parent.press(tr("ru", "🏫 School"))
        await parent.send_text("8")
    finally:
        await terminate(process)

    process = await start_koldo_process(emulator, database_url)
    try:
        await parent.press("2")
        assert parent.screen().text == tr("ru", "📍 Where do you live? Choose your settlement.")
    finally:
        await terminate(process)


async def test_koldo_run_says_what_it_is_before_the_first_start(emulator, database_url):
    """The description and short description a person reads before pressing Start, in each
    language (and Russian, the default, for everyone else)."""
    process = await start_koldo_process(emulator, database_url)
    await terminate(process)
    description = (
        "Koldo is the bot of the Center for the Protection of Children in Bishkek.\n\n"
        "Ask for help with a child's documents or school, follow your request and find urgent "
        "help numbers. In Kyrgyz, Russian or English.\n\nPress the button below to begin."
    )
    short = (
        "Help with children's documents and school from the Center for the Protection of Children."
    )
    for language in ("ru", "ky", "en"):
        assert emulator.descriptions[language] == tr(language, description)
        assert emulator.short_descriptions[language] == tr(language, short)
    assert emulator.descriptions[""] == tr("ru", description)
    assert emulator.descriptions["ky"].startswith("Колдо — Бишкектеги Балдарды коргоо борборунун")
