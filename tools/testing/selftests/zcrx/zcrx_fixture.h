/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture "zcrx" of the programs whose tests run in namespace B of
 * the shared netdevsim pair (see struct env in zcrx_test.h): each test
 * gets self->env and ends with env_put().
 */
#ifndef __ZCRX_FIXTURE_H
#define __ZCRX_FIXTURE_H

#include "zcrx_test.h"

FIXTURE(zcrx)
{
	struct env env;
};

FIXTURE_SETUP(zcrx)
{
	ASSERT_EQ(0, env_get(&self->env));
}

FIXTURE_TEARDOWN(zcrx)
{
	EXPECT_EQ(0, env_put(&self->env));
}

#endif /* __ZCRX_FIXTURE_H */
